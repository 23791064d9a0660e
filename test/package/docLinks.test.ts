/**
 * Every documentation link n8n shows for this package lands on a README heading that exists: the credentials'
 * `documentationUrl` (the credential dialog's docs link), the codex `resources` of both nodes (the node's Docs
 * link and its credential docs link) and a node description's `documentationUrl` if one is set. Links are the
 * package's homepage (its GitHub repository) plus `#anchor`, and anchors follow GitHub's heading slugs.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, packageJson, readJson, readText } from './repo';

/** GitHub's heading anchor (github-slugger): lower case, punctuation and symbols dropped, spaces to hyphens. */
export function slug(heading: string): string {
	return heading
		.toLowerCase()
		.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
		.replace(/ /g, '-');
}

/** Heading text as GitHub renders it: inline code, links, emphasis and HTML reduced to their text. */
function headingText(raw: string): string {
	return raw
		.replace(/<[^>]+>/g, '')
		.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
		.replace(/`([^`]*)`/g, '$1')
		.replace(/(\*\*|__|\*|_)(\S(?:.*?\S)?)\1/g, '$2')
		.trim();
}

/** The anchors of a Markdown document's ATX headings outside code fences, duplicates numbered as GitHub does. */
export function anchors(markdown: string): Set<string> {
	const seen = new Map<string, number>();
	const result = new Set<string>();
	let fence: string | undefined;
	for (const line of markdown.split('\n')) {
		const fenceMatch = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
		if (fenceMatch) {
			if (!fence) fence = fenceMatch[1][0];
			else if (fenceMatch[1][0] === fence) fence = undefined;
			continue;
		}
		if (fence) continue;
		const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
		if (!heading) continue;
		const base = slug(headingText(heading[1]));
		const count = seen.get(base) ?? 0;
		seen.set(base, count + 1);
		result.add(count ? `${base}-${count}` : base);
	}
	return result;
}

interface Link {
	where: string;
	url: string;
}

function linksN8nShows(): Link[] {
	const links: Link[] = [];
	const pkg = packageJson();
	for (const entry of [...pkg.n8n.credentials, ...pkg.n8n.nodes]) {
		const exported = require(join(ROOT, entry)) as Record<string, new () => Record<string, any>>;
		for (const [name, Type] of Object.entries(exported)) {
			if (typeof Type !== 'function') continue;
			const instance = new Type();
			const url = instance.documentationUrl ?? instance.description?.documentationUrl;
			if (url !== undefined) links.push({ where: `${name}.documentationUrl`, url });
		}
	}
	const nodesDir = 'dist/nodes/ScopedMailbox';
	for (const file of readdirSync(join(ROOT, nodesDir)).filter((f) => f.endsWith('.node.json'))) {
		const codex = readJson<{ resources?: Record<string, { url: string }[]> }>(`${nodesDir}/${file}`);
		for (const [kind, entries] of Object.entries(codex.resources ?? {}))
			for (const { url } of entries) links.push({ where: `${file} resources.${kind}`, url });
	}
	return links;
}

describe('GitHub heading slugs', () => {
	test.each([
		['Two commands', 'two-commands'],
		['App (client credentials)', 'app-client-credentials'],
		['Mailbox → Test Access', 'mailbox--test-access'],
		['Seeded refresh token (delegated)', 'seeded-refresh-token-delegated'],
		['`npm test` and CI', 'npm-test-and-ci'],
	])('%s -> %s', (heading, expected) => {
		expect(slug(headingText(heading))).toBe(expected);
	});

	test('duplicates are numbered; headings in code blocks do not count', () => {
		const doc = ['## List', '```bash', '# List', '```', '### List', '#### Get'].join('\n');
		expect([...anchors(doc)]).toEqual(['list', 'list-1', 'get']);
	});
});

test('every documentation link n8n shows resolves to a README heading', () => {
	const repository = packageJson().homepage!.replace(/#.*$/, '');
	const readme = anchors(readText('README.md'));
	const links = linksN8nShows();
	// Four credentials and two codex files: a loader that found nothing would pass vacuously.
	expect(links.length).toBeGreaterThanOrEqual(8);
	const broken = links.filter(({ url }) => {
		const [base, anchor] = url.split('#');
		return base !== repository || !anchor || !readme.has(anchor);
	});
	expect(broken).toEqual([]);
});
