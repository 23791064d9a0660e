/**
 * The package's rooms depend on each other in one direction only (docs/architecture.md):
 * credential → token (auth) → transport → mail helpers → operations, triggers and pickers → node files.
 * Read from the import statements of the source, so a new import against the direction fails here by name.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ROOT } from './repo';

const NODE_DIR = join(ROOT, 'nodes', 'ScopedMailbox');

/** The rooms each room may import from (besides itself and libraries). */
const MAY_IMPORT: Record<string, string[]> = {
	credentials: ['auth'],
	auth: [],
	transport: ['auth'],
	helpers: ['transport', 'auth'],
	actions: ['helpers', 'transport', 'auth'],
	trigger: ['helpers', 'transport', 'auth'],
	// The instant trigger is woken by Graph and reads new mail through the polling trigger's code.
	instant: ['trigger', 'helpers', 'transport', 'auth'],
	methods: ['helpers', 'transport', 'auth'],
	node: ['actions', 'trigger', 'instant', 'methods', 'helpers', 'transport', 'auth'],
};

function sourceFiles(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const path = join(dir, name);
		if (statSync(path).isDirectory()) return sourceFiles(path);
		return name.endsWith('.ts') ? [path] : [];
	});
}

/** The room of a file: its first folder under nodes/ScopedMailbox, `node` for the node files, or `credentials`. */
function roomOf(file: string): string {
	const fromRoot = relative(ROOT, file).split('/');
	if (fromRoot[0] === 'credentials') return 'credentials';
	const parts = relative(NODE_DIR, file).split('/');
	// `../transport` names the folder (its index.ts): the folder is the room.
	const isFolder = existsSync(file) && statSync(file).isDirectory();
	return parts.length === 1 && !isFolder ? 'node' : parts[0];
}

function importsOf(file: string): string[] {
	const text = readFileSync(file, 'utf8');
	return [...text.matchAll(/^(?:import|export)[^'"]*?from\s+'(\.[^']+)'/gm)].map((m) => m[1]);
}

const files = [...sourceFiles(NODE_DIR), ...sourceFiles(join(ROOT, 'credentials'))];

test('every room is one the direction knows', () => {
	const rooms = new Set(files.map(roomOf));
	expect([...rooms].filter((room) => !(room in MAY_IMPORT))).toEqual([]);
	expect(rooms).toContain('helpers');
});

test('imports go one way: no room imports a room above it', () => {
	const against: string[] = [];
	for (const file of files) {
		const from = roomOf(file);
		for (const specifier of importsOf(file)) {
			const target = resolve(dirname(file), specifier);
			const to = roomOf(target);
			if (to !== from && !MAY_IMPORT[from].includes(to)) {
				against.push(`${relative(ROOT, file)} (${from}) imports ${specifier} (${to})`);
			}
		}
	}
	expect(against).toEqual([]);
});
