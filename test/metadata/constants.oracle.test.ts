/**
 * The property lists in the package's source exist in the metadata: the exported field lists on message (per
 * cloud, less what the package refuses or drops there), and every `$select` literal in nodes/ on one of the
 * types the package reads. A typo or a beta-only property fails here even if no run sends it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { MESSAGE_FIELD_OPTIONS } from '../../nodes/ScopedMailbox/actions/common/output';

const MESSAGE_FIELDS = MESSAGE_FIELD_OPTIONS.map((o) => String(o.value));
import { SIMPLE_SELECT } from '../../nodes/ScopedMailbox/helpers/simplify';
import { GRAPH_LACKS, type GraphFeatureSet } from '../../nodes/ScopedMailbox/auth/cloudFeatures';
import { DELTA_SELECT } from '../../nodes/ScopedMailbox/trigger/filters';
import { loadMetadata, type MetadataCloud } from './oracle';

const CLOUDS: Array<[GraphFeatureSet, MetadataCloud]> = [
	['global', 'Prod'],
	['usGov', 'Fairfax'],
	['china', 'Mooncake'],
];
const REFUSED_PROPERTY: Record<string, string> = {
	messageFlag: 'flag',
	internetMessageHeaders: 'internetMessageHeaders',
};

function sourceFiles(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const path = join(dir, name);
		return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
	});
}

describe('property lists in the source exist in the metadata', () => {
	it.each(CLOUDS)('message field lists (%s: %s)', (set, cloud) => {
		const meta = loadMetadata(cloud);
		const refused = GRAPH_LACKS[set].map((f) => REFUSED_PROPERTY[f]).filter(Boolean);
		const missing = [...new Set([...MESSAGE_FIELDS, ...SIMPLE_SELECT, ...DELTA_SELECT])]
			.filter((field) => !refused.includes(field))
			.filter((field) => !meta.member('message', field));
		expect(missing).toEqual([]);
	});

	it('every $select literal in nodes/ names properties of the mail types', () => {
		const prod = loadMetadata('Prod');
		const types = ['message', 'mailFolder', 'attachment', 'user'];
		const problems: string[] = [];
		let literals = 0;
		for (const file of sourceFiles(join(__dirname, '..', '..', 'nodes'))) {
			const text = readFileSync(file, 'utf8');
			for (const m of text.matchAll(/\$select(?:: *'|=)([A-Za-z0-9_,]+)/g)) {
				literals++;
				for (const field of m[1].split(',')) {
					if (!types.some((t) => prod.member(t, field))) problems.push(`${file}: ${field}`);
				}
			}
		}
		expect(literals).toBeGreaterThanOrEqual(6);
		expect(problems).toEqual([]);
	});
});
