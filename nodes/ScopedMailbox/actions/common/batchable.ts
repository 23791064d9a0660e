import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

/** One Graph request an operation makes per item, so the router can send many of them in one $batch. */
export interface ItemRequest {
	mailbox: string;
	method: 'GET' | 'PATCH' | 'POST' | 'DELETE';
	/** Path from the Graph version root, e.g. /users/x/messages/y (already encoded). */
	path: string;
	qs?: IDataObject;
	body?: IDataObject;
}

export interface BatchableOperation {
	/** undefined: this item needs more than one request (e.g. attachment download), run it on its own. */
	request(this: IExecuteFunctions, itemIndex: number): ItemRequest | undefined;
	result(this: IExecuteFunctions, itemIndex: number, body: unknown): INodeExecutionData[];
}
