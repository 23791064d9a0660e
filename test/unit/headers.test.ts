/** The headers every Graph request carries, merged with a request's own. */
import { defaultGraphHeaders, withDefaultGraphHeaders } from '../../nodes/ScopedMailbox/transport/headers';

test('defaultGraphHeaders asks for immutable ids', () => {
	expect(defaultGraphHeaders()).toEqual({ Prefer: 'IdType="ImmutableId"' });
});

test("a request's Prefer is joined with the default one, other headers are kept, an explicit IdType wins", () => {
	expect(withDefaultGraphHeaders(undefined)).toEqual({ Prefer: 'IdType="ImmutableId"' });
	expect(withDefaultGraphHeaders({ prefer: 'odata.maxpagesize=250', 'Content-Type': 'application/json' })).toEqual({
		Prefer: 'IdType="ImmutableId", odata.maxpagesize=250',
		'Content-Type': 'application/json',
	});
	expect(withDefaultGraphHeaders({ Prefer: 'IdType="RestId"' })).toEqual({ Prefer: 'IdType="RestId"' });
	expect(withDefaultGraphHeaders({ Prefer: undefined, 'If-Match': 'W/"x"' })).toEqual({
		Prefer: 'IdType="ImmutableId"',
		'If-Match': 'W/"x"',
	});
});
