/**
 * Runs a webhook trigger as n8n's live webhooks do, with n8n-core's HookContext (checkExists / create / delete)
 * and WebhookContext (`webhook()`), behind a real HTTPS server with a certificate from the emulator's test CA, so
 * the emulator's validation requests and notifications reach it. n8n's static data rules:
 * - activation: webhooks are set up one after the other in description order (checkExists, then create when it
 *   says false), then static data is saved;
 * - every request gets a workflow built from the saved static data; static data is saved when the request is
 *   answered after `webhook()` returned (if it changed);
 * - `workflowData` returned by `webhook()` is an execution: recorded in `executions`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { HookContext, WebhookContext } from 'n8n-core';
import {
	deepCopy,
	type IDataObject,
	type INode,
	type INodeCredentials,
	type INodeExecutionData,
	type INodeParameters,
	type INodeType,
	type IWebhookData,
	type IWebhookDescription,
} from 'n8n-workflow';

import { ensureCa, issueServerCertificate } from '../emulator/core/tls';
import type { CredentialStore } from './credentials';
import { HarnessNodeTypes, buildAdditionalData, buildNode, buildWorkflow, typeNameOf } from './engine';
import { ensureEnvironment, logCapture, type LogLine } from './environment';

export interface WebhookOptions {
	nodeType: INodeType;
	parameters: INodeParameters;
	credentials?: INodeCredentials;
	store: CredentialStore;
	nodeName?: string;
}

export interface WebhookRequestRecord {
	webhook: string;
	status: number;
	emitted: number;
}

function plain(data: IDataObject): IDataObject {
	const copy = JSON.parse(JSON.stringify(data ?? {})) as IDataObject;
	delete copy.__dataChanged;
	return copy;
}

/** A small stand-in for the Express response n8n hands to `webhook()`. */
function expressResponse(res: ServerResponse) {
	const wrapped = res as ServerResponse & Record<string, unknown>;
	wrapped.status = (code: number) => {
		res.statusCode = code;
		return wrapped;
	};
	wrapped.type = (type: string) => {
		res.setHeader('content-type', type === 'text/plain' ? 'text/plain; charset=utf-8' : type);
		return wrapped;
	};
	wrapped.send = (body: string) => {
		res.end(body);
		return wrapped;
	};
	wrapped.json = (body: unknown) => {
		res.setHeader('content-type', 'application/json');
		res.end(JSON.stringify(body));
		return wrapped;
	};
	return wrapped;
}

export class WebhookWorkflow {
	readonly node: INode;

	private readonly nodeTypes = new HarnessNodeTypes();

	private persisted: IDataObject = {};

	private server?: Server;

	base = '';

	/** Items of each execution `webhook()` started, in order. */
	readonly executions: INodeExecutionData[][] = [];

	readonly requests: WebhookRequestRecord[] = [];

	readonly logs: LogLine[] = [];

	private collector?: ReturnType<typeof logCapture.collect>;

	private inFlight = new Set<Promise<void>>();

	constructor(private readonly options: WebhookOptions) {
		this.nodeTypes.register(typeNameOf(options.nodeType), options.nodeType);
		this.node = {
			...buildNode({
				nodeType: options.nodeType,
				parameters: options.parameters,
				credentials: options.credentials,
				name: options.nodeName,
			}),
			webhookId: randomUUID(),
		};
	}

	get staticData(): IDataObject {
		return deepCopy(this.persisted);
	}

	get logText(): string {
		return logCapture.text(this.logs);
	}

	async start(): Promise<void> {
		await ensureEnvironment();
		this.collector = logCapture.collect();
		const cert = issueServerCertificate(ensureCa(), ['127.0.0.1', 'localhost']);
		this.server = createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
			const work = this.handle(req, res).catch((error: Error) => {
				if (!res.headersSent) res.writeHead(500);
				res.end(error.message);
			});
			this.inFlight.add(work);
			void work.finally(() => this.inFlight.delete(work));
		});
		await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
		this.base = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
	}

	async stop(): Promise<void> {
		await this.settle();
		this.collector?.stop();
		if (this.collector) this.logs.push(...this.collector.lines);
		this.collector = undefined;
		this.server?.closeAllConnections();
		await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
	}

	/** Waits until every request received so far has been answered and its webhook() returned. */
	async settle(): Promise<void> {
		while (this.inFlight.size) await Promise.all([...this.inFlight]);
	}

	currentLogText(): string {
		return logCapture.text([...this.logs, ...(this.collector?.lines ?? [])]);
	}

	private descriptions(): IWebhookDescription[] {
		return (this.options.nodeType.description.webhooks ?? []) as IWebhookDescription[];
	}

	private workflowFromStore() {
		return buildWorkflow([this.node], this.nodeTypes, deepCopy(this.persisted), false);
	}

	private webhookData(
		workflow: ReturnType<WebhookWorkflow['workflowFromStore']>,
		description: IWebhookDescription,
		additionalData: IWebhookData['workflowExecuteAdditionalData'],
	): IWebhookData {
		return {
			httpMethod: description.httpMethod as IWebhookData['httpMethod'],
			node: this.node.name,
			path: `${this.node.webhookId}/${String(description.path)}`,
			webhookDescription: description,
			workflowId: workflow.id,
			workflowExecuteAdditionalData: additionalData,
			webhookId: this.node.webhookId,
		};
	}

	private additional(workflow: ReturnType<WebhookWorkflow['workflowFromStore']>, mode: 'trigger' | 'webhook') {
		const data = buildAdditionalData(this.options.store, workflow, mode, randomUUID()) as unknown as Record<
			string,
			unknown
		>;
		data.webhookBaseUrl = `${this.base}/webhook`;
		data.webhookTestBaseUrl = `${this.base}/webhook-test`;
		data.instanceBaseUrl = this.base;
		return data as unknown as IWebhookData['workflowExecuteAdditionalData'];
	}

	private async runHooks(method: 'activate' | 'deactivate'): Promise<void> {
		const workflow = this.workflowFromStore();
		const additionalData = this.additional(workflow, 'trigger');
		const methods = this.options.nodeType.webhookMethods ?? {};
		for (const description of this.descriptions()) {
			const fns = methods[description.name];
			if (!fns) continue;
			const data = this.webhookData(workflow, description, additionalData);
			const context = new HookContext(workflow, this.node, additionalData, 'trigger', 'activate', data);
			if (method === 'activate') {
				const exists = await fns.checkExists.call(context);
				if (!exists) await fns.create.call(context);
			} else {
				await fns.delete.call(context);
			}
		}
		// n8n saves the workflow's static data once the webhooks are set up (or removed).
		if (workflow.staticData.__dataChanged === true) this.persisted = plain(workflow.staticData);
	}

	async activate(): Promise<void> {
		await this.runHooks('activate');
	}

	async deactivate(): Promise<void> {
		await this.runHooks('deactivate');
	}

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', this.base);
		const chunks: Buffer[] = [];
		for await (const c of req) chunks.push(c as Buffer);
		const raw = Buffer.concat(chunks).toString('utf8');
		const prefix = `/webhook/${this.node.webhookId}/`;
		const description = url.pathname.startsWith(prefix)
			? this.descriptions().find((d) => String(d.path) === url.pathname.slice(prefix.length))
			: undefined;
		if (!description || req.method !== description.httpMethod) {
			res.writeHead(404);
			res.end();
			return;
		}
		let body: IDataObject = {};
		if (raw && /json/i.test(String(req.headers['content-type']))) body = JSON.parse(raw) as IDataObject;
		const workflow = this.workflowFromStore();
		const additionalData = this.additional(workflow, 'webhook') as unknown as Record<string, unknown>;
		const request = req as IncomingMessage & Record<string, unknown>;
		request.query = Object.fromEntries(url.searchParams.entries());
		request.body = body;
		additionalData.httpRequest = request;
		additionalData.httpResponse = expressResponse(res);
		const data = this.webhookData(
			workflow,
			description,
			additionalData as unknown as IWebhookData['workflowExecuteAdditionalData'],
		);
		const context = new WebhookContext(
			workflow,
			this.node,
			additionalData as unknown as IWebhookData['workflowExecuteAdditionalData'],
			'webhook',
			data,
			[],
			null,
		);
		const result = await this.options.nodeType.webhook!.call(context);
		if (!res.headersSent) {
			res.writeHead(200);
			res.end();
		}
		if (workflow.staticData.__dataChanged === true) this.persisted = plain(workflow.staticData);
		const items = result.workflowData?.[0] ?? [];
		if (result.workflowData) this.executions.push(items);
		this.requests.push({ webhook: description.name, status: res.statusCode, emitted: items.length });
	}
}
