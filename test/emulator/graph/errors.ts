/** A Graph error raised deep inside a handler; the dispatcher turns it into Graph's error body. */
export class GraphFault extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly headers?: Record<string, string>,
	) {
		super(message);
	}
}

export const badRequest = (message: string, code = 'BadRequest'): GraphFault => new GraphFault(400, code, message);
export const notFound = (): GraphFault =>
	new GraphFault(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
