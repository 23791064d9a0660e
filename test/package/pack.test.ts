/**
 * What `npm pack` puts in the tarball (`npm pack --dry-run --json`, from the dist/ that `npm test` builds first):
 * exactly what n8n loads — the files the `n8n` section names, what they require, their codex files and icons —
 * plus the seed command (`bin`), package.json, README and LICENSE. No tests, no emulator, no keys, no TypeScript
 * sources, no source maps that embed or point at sources outside dist.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, posix } from 'node:path';
import { ROOT, packageJson } from './repo';

interface PackEntry {
	files: { path: string; size: number }[];
}

function packedFiles(): string[] {
	const env: NodeJS.ProcessEnv = {};
	// A parent `npm test` leaks npm_* settings (prefix, scripts) that would change what a child npm does.
	for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value;
	const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
		cwd: ROOT,
		env,
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	const [entry] = JSON.parse(out) as PackEntry[];
	return entry.files.map((f) => f.path).sort();
}

/** Relative requires of a compiled file, resolved the way Node does for our output (file, .js, .json, index). */
function localRequires(file: string): string[] {
	const source = readFileSync(join(ROOT, file), 'utf8');
	const found: string[] = [];
	for (const match of source.matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)) {
		const base = posix.join(posix.dirname(file), match[1]);
		const candidate = [base, `${base}.js`, `${base}.json`, `${base}/index.js`].find((c) =>
			statSync(join(ROOT, c), { throwIfNoEntry: false })?.isFile(),
		);
		if (!candidate) throw new Error(`${file} requires ${match[1]}, which is not in dist`);
		found.push(normalize(candidate).split('\\').join('/'));
	}
	return found;
}

/** The `file:` icons an n8n entry declares (n8n resolves them against the entry's folder), read from its class. */
function declaredIcons(entry: string): string[] {
	const exported = require(join(ROOT, entry)) as Record<string, new () => Record<string, any>>;
	const icons: string[] = [];
	for (const Type of Object.values(exported)) {
		if (typeof Type !== 'function') continue;
		const instance = new Type();
		const icon = instance.description?.icon ?? instance.icon;
		for (const value of typeof icon === 'string' ? [icon] : Object.values(icon ?? {}))
			if (typeof value === 'string' && value.startsWith('file:'))
				icons.push(posix.join(posix.dirname(entry), value.slice('file:'.length)));
	}
	return icons;
}

/** Files n8n loads: the entries, everything they require, codex files beside nodes, the icons they declare. */
function filesN8nLoads(entries: string[], withIcons = true): Set<string> {
	const seen = new Set<string>();
	const queue = [...entries, ...(withIcons ? entries.flatMap(declaredIcons) : [])];
	while (queue.length) {
		const file = queue.shift()!;
		if (seen.has(file)) continue;
		seen.add(file);
		if (!file.endsWith('.js')) continue;
		queue.push(...localRequires(file));
		const codex = file.replace(/\.node\.js$/, '.node.json');
		if (codex !== file && existsSync(join(ROOT, codex))) queue.push(codex);
	}
	return seen;
}

/**
 * A compiled module nothing requires that runs no code of its own: a type-only module (tsc leaves the
 * `__esModule` marker) or a barrel that only re-exports loaded modules (auth/index.ts, the auth library's
 * surface in docs/design.md). Shipping it costs bytes, never behaviour.
 */
function addsNothing(file: string, loaded: Set<string>): boolean {
	if (!file.endsWith('.js')) return false;
	const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
	const requires = localRequires(file);
	return (
		requires.every((r) => loaded.has(r)) &&
		lines.every(
			(line) =>
				!line.trim() ||
				line === '"use strict";' ||
				/^Object\.defineProperty\(exports, "[^"]+", \{ (value: true|enumerable: true, get: function \(\) \{ return \w+\.\w+; \}) \}\);$/.test(
					line,
				) ||
				/^exports\.[\w.= ]+ = void 0;$/.test(line) ||
				/^var \w+ = require\("\.{1,2}\/[^"]+"\);$/.test(line) ||
				/^\/\/# sourceMappingURL=/.test(line),
		)
	);
}

const pkg = packageJson();
let files: string[];

beforeAll(() => {
	for (const entry of [...pkg.n8n.nodes, ...pkg.n8n.credentials])
		if (!existsSync(join(ROOT, entry))) throw new Error(`${entry} is missing: build first (npm run build)`);
	files = packedFiles();
}, 120_000);

test('every file the n8n section names is in the tarball, and the bin', () => {
	for (const entry of [...pkg.n8n.nodes, ...pkg.n8n.credentials]) expect(files).toContain(entry);
	for (const bin of Object.values(pkg.bin ?? {})) expect(files).toContain(posix.normalize(bin));
	if (pkg.main !== undefined) expect(files).toContain(posix.normalize(pkg.main));
});

test('the tarball holds exactly what n8n loads, the bin and the package documents', () => {
	const loaded = filesN8nLoads([...pkg.n8n.nodes, ...pkg.n8n.credentials]);
	const bins = new Set<string>();
	for (const bin of Object.values(pkg.bin ?? {})) {
		const binFiles = filesN8nLoads([posix.normalize(bin)], false);
		for (const f of binFiles) bins.add(f);
	}
	const documents = ['package.json', 'README.md', 'LICENSE'];
	const unexpected = files.filter(
		(f) => !loaded.has(f) && !bins.has(f) && !documents.includes(f) && !addsNothing(f, loaded),
	);
	expect(unexpected).toEqual([]);
	const missing = [...loaded, ...bins].filter((f) => !files.includes(f));
	expect(missing).toEqual([]);
	// dist/nodes is what n8n scans and loads: the terminal command lives beside it, not in it.
	for (const bin of Object.values(pkg.bin ?? {})) expect(posix.normalize(bin)).not.toMatch(/^dist\/nodes\//);
});

test('no tests, emulator, keys or TypeScript sources', () => {
	const forbidden = files.filter(
		(f) =>
			/(^|\/)test\//.test(f) ||
			/emulator/i.test(f) ||
			/\.test\.|\.spec\./.test(f) ||
			/\.(pem|key|pfx|p12|crt|cer)$/i.test(f) ||
			(/\.ts$/.test(f) && !/\.d\.ts$/.test(f)),
	);
	expect(forbidden).toEqual([]);
	for (const file of files.filter((f) => /\.(js|json)$/.test(f))) {
		const text = readFileSync(join(ROOT, file), 'utf8');
		expect({ file, privateKey: /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text) }).toEqual({
			file,
			privateKey: false,
		});
	}
});

test('source maps, if any, embed no sources and point only inside dist', () => {
	for (const file of files.filter((f) => f.endsWith('.map'))) {
		const map = JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as { sources: string[]; sourcesContent?: unknown };
		expect({ file, sourcesContent: map.sourcesContent }).toEqual({ file, sourcesContent: undefined });
		for (const source of map.sources) {
			const resolved = normalize(join(dirname(file), source))
				.split('\\')
				.join('/');
			expect({ file, source, insideDist: resolved.startsWith('dist/') }).toEqual({ file, source, insideDist: true });
		}
	}
	for (const file of files.filter((f) => f.endsWith('.js'))) {
		const text = readFileSync(join(ROOT, file), 'utf8');
		const reference = /\/\/# sourceMappingURL=(\S+)/.exec(text)?.[1];
		if (reference) expect(files).toContain(posix.join(posix.dirname(file), reference));
	}
});
