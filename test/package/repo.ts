/** The repository's own files, read the way the package-level tests need them. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');

export const readText = (path: string) => readFileSync(join(ROOT, path), 'utf8');
export const readJson = <T = any>(path: string): T => JSON.parse(readText(path)) as T;

export interface PackageJson {
	name: string;
	version: string;
	main?: string;
	homepage?: string;
	files?: string[];
	bin?: Record<string, string>;
	scripts: Record<string, string>;
	n8n: { nodes: string[]; credentials: string[] };
}

export const packageJson = () => readJson<PackageJson>('package.json');

/** The text of one `### heading` section of docs/decisions.md (up to the next heading of that level or above). */
export function decisionSection(heading: string, text = readText('docs/decisions.md')): string {
	const start = text.indexOf(`\n### ${heading}\n`);
	if (start < 0) return '';
	const rest = text.slice(start + 1);
	const next = rest.slice(1).search(/\n#{1,3} /);
	return next < 0 ? rest : rest.slice(0, next + 1);
}
