import { NodeApiError, NodeOperationError, type INode } from 'n8n-workflow';

/** The transport already throws n8n errors; anything else (a bug, a parse failure) is wrapped so n8n shows it. */
export function asNodeError(node: INode, error: unknown): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	return new NodeOperationError(node, error instanceof Error ? error : String(error));
}
