/**
 * `npx tsx test/bench/rooms.ts [REF...]`: files and lines per room of the package (docs/architecture.md), for
 * each git ref given (default: the tag i15-before and HEAD), side by side. Read from git, so the refs need no
 * checkout; the working tree is not counted.
 */
import { execFileSync } from 'node:child_process';

const ROOMS: Array<{ room: string; prefix: string }> = [
	{ room: 'credentials/', prefix: 'credentials/' },
	{ room: 'auth/', prefix: 'nodes/ScopedMailbox/auth/' },
	{ room: 'transport/', prefix: 'nodes/ScopedMailbox/transport/' },
	{ room: 'helpers/', prefix: 'nodes/ScopedMailbox/helpers/' },
	{ room: 'actions/', prefix: 'nodes/ScopedMailbox/actions/' },
	{ room: 'trigger/', prefix: 'nodes/ScopedMailbox/trigger/' },
	{ room: 'instant/', prefix: 'nodes/ScopedMailbox/instant/' },
	{ room: 'methods/', prefix: 'nodes/ScopedMailbox/methods/' },
	{ room: 'node files', prefix: 'nodes/ScopedMailbox/ScopedMailbox' },
];

const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

interface Count {
	files: number;
	lines: number;
}

function countAt(ref: string): Map<string, Count> {
	const files = git('ls-tree', '-r', '--name-only', ref, '--', 'nodes', 'credentials')
		.split('\n')
		.filter((f) => f.endsWith('.ts'));
	const out = new Map<string, Count>(ROOMS.map(({ room }) => [room, { files: 0, lines: 0 }]));
	for (const file of files) {
		const room = ROOMS.find(({ prefix }) => file.startsWith(prefix));
		if (!room) continue;
		const text = git('show', `${ref}:${file}`);
		const count = out.get(room.room)!;
		count.files++;
		count.lines += text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
	}
	return out;
}

function main() {
	const refs = process.argv.slice(2).length ? process.argv.slice(2) : ['i15-before', 'HEAD'];
	const counts = refs.map((ref) => ({
		ref,
		label: `${ref} (${git('rev-parse', '--short', ref).trim()})`,
		rooms: countAt(ref),
	}));
	const header = ['room', ...counts.map((c) => c.label)];
	const rows = ROOMS.map(({ room }) => [
		room,
		...counts.map((c) => {
			const { files, lines } = c.rooms.get(room)!;
			return files ? `${lines} lines / ${files} files` : '-';
		}),
	]);
	const totals = counts.map((c) =>
		[...c.rooms.values()].reduce((a, b) => ({ files: a.files + b.files, lines: a.lines + b.lines }), {
			files: 0,
			lines: 0,
		}),
	);
	rows.push(['total', ...totals.map(({ files, lines }) => `${lines} lines / ${files} files`)]);
	const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i].length)));
	for (const row of [header, ...rows])
		process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i])).join('  ')}\n`);
}

main();
