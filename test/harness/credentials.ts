/**
 * The credential side of an n8n server, in memory: a store of encrypted credentials ("the database") and an
 * ICredentialsHelper that behaves like n8n's CredentialsHelper (packages/cli) where the package depends on it:
 * generic `authenticate` with `={{$credentials.x}}` expressions, `preAuthentication` gated on the hidden
 * expirable property, persistence of what it returns, OAuth2 token-data updates and `extends` parent types.
 */
import './environment';
import {
	ICredentials,
	ICredentialsHelper,
	NodeHelpers,
	Workflow,
	deepCopy,
	type ICredentialDataDecryptedObject,
	type ICredentialType,
	type IHttpRequestHelper,
	type IHttpRequestOptions,
	type INode,
	type INodeCredentialsDetails,
	type INodeParameters,
	type INodeProperties,
	type INodeTypes,
	type IRequestOptionsSimplified,
	type IWorkflowExecuteAdditionalData,
	type WorkflowExecuteMode,
} from 'n8n-workflow';

/**
 * n8n-nodes-base's oAuth2Api, reduced to the properties n8n-core's requestOAuth2 reads. Credential types
 * with `extends: ['oAuth2Api']` inherit these; their own properties override by name, as in n8n.
 */
export const oAuth2ApiType: ICredentialType = {
	name: 'oAuth2Api',
	displayName: 'OAuth2 API',
	properties: [
		{
			displayName: 'Grant Type',
			name: 'grantType',
			type: 'options',
			options: [
				{ name: 'Authorization Code', value: 'authorizationCode' },
				{ name: 'Client Credentials', value: 'clientCredentials' },
				{ name: 'PKCE', value: 'pkce' },
			],
			default: 'authorizationCode',
		},
		{ displayName: 'Authorization URL', name: 'authUrl', type: 'string', default: '' },
		{ displayName: 'Access Token URL', name: 'accessTokenUrl', type: 'string', default: '' },
		{ displayName: 'Client ID', name: 'clientId', type: 'string', default: '' },
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{ displayName: 'Scope', name: 'scope', type: 'string', default: '' },
		{ displayName: 'Auth URI Query Parameters', name: 'authQueryParameters', type: 'string', default: '' },
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'options',
			options: [
				{ name: 'Body', value: 'body' },
				{ name: 'Header', value: 'header' },
			],
			default: 'header',
		},
		{ displayName: 'Ignore SSL Issues (Insecure)', name: 'ignoreSSLIssues', type: 'boolean', default: false },
	],
};

export interface CredentialRecord {
	id: string;
	name: string;
	type: string;
	data: ICredentialDataDecryptedObject;
}

export interface CredentialCounters {
	/** Times the credential type's preAuthentication ran for this credential (token requests). */
	preAuthentication: number;
	/** preAuthentication runs forced by a 401 (credentialsExpired). */
	preAuthenticationForced: number;
	/** Writes of the credential to the store (updateCredentials and updateCredentialsOauthTokenData). */
	updates: number;
	/** Of those, OAuth2 token-data writes. */
	oauthTokenUpdates: number;
}

/**
 * In-memory "credentials table". Data goes through JSON on every write and read, as through n8n's database
 * (n8n also encrypts it; that needs n8n's key provider and DB, and changes nothing a node can observe).
 */
export class CredentialStore {
	private readonly types = new Map<string, ICredentialType>([[oAuth2ApiType.name, oAuth2ApiType]]);

	private readonly rows = new Map<string, { id: string; name: string; type: string; json: string }>();

	private readonly counters = new Map<string, CredentialCounters>();

	/** Every persisted version of each credential's data, oldest first (the initial add included). */
	private readonly versions = new Map<string, ICredentialDataDecryptedObject[]>();

	addType(type: ICredentialType): this {
		this.types.set(type.name, type);
		return this;
	}

	add(record: CredentialRecord, type?: ICredentialType): this {
		if (type) this.addType(type);
		if (!this.types.has(record.type)) {
			throw new Error(`CredentialStore: register credential type "${record.type}" before adding a credential of it`);
		}
		this.write(record.id, record.name, record.type, record.data);
		this.counters.set(record.id, {
			preAuthentication: 0,
			preAuthenticationForced: 0,
			updates: 0,
			oauthTokenUpdates: 0,
		});
		this.versions.set(record.id, [deepCopy(record.data)]);
		return this;
	}

	getType(name: string): ICredentialType {
		const type = this.types.get(name);
		if (!type) throw new Error(`Unknown credential type "${name}"`);
		return type;
	}

	hasType(name: string) {
		return this.types.has(name);
	}

	/** The saved (decrypted) data, as `n8n export:credentials --decrypted` would show it. */
	data(id: string): ICredentialDataDecryptedObject {
		return JSON.parse(this.row(id).json) as ICredentialDataDecryptedObject;
	}

	/** Overwrites the saved data (a user editing the credential, or a test forcing a state). */
	setData(id: string, data: ICredentialDataDecryptedObject) {
		const row = this.row(id);
		this.write(id, row.name, row.type, data);
	}

	/** Merges into the saved data, e.g. `patch(id, { accessToken: 'garbage' })`. */
	patch(id: string, data: ICredentialDataDecryptedObject) {
		this.setData(id, { ...this.data(id), ...data });
	}

	stats(id: string): CredentialCounters {
		const counters = this.counters.get(id);
		if (!counters) throw new Error(`No credential with id "${id}"`);
		return { ...counters };
	}

	history(id: string): ICredentialDataDecryptedObject[] {
		return (this.versions.get(id) ?? []).map((v) => deepCopy(v));
	}

	/** Every stored value as text: for "this secret never reached an output" checks that need the secrets. */
	ids(): string[] {
		return [...this.rows.keys()];
	}

	row(id: string) {
		const row = this.rows.get(id);
		if (!row) throw new Error(`Credential with ID "${id}" does not exist.`);
		return row;
	}

	credentials(id: string): ICredentials {
		const row = this.row(id);
		return new StoredCredentials({ id: row.id, name: row.name }, row.type, row.json);
	}

	/** Called by the helper: persists and counts. */
	persist(id: string, data: ICredentialDataDecryptedObject, kind: 'update' | 'oauth') {
		const row = this.row(id);
		this.write(id, row.name, row.type, data);
		const counters = this.counters.get(id)!;
		counters.updates++;
		if (kind === 'oauth') counters.oauthTokenUpdates++;
		this.versions.get(id)!.push(deepCopy(data));
	}

	countPreAuthentication(id: string, forced: boolean) {
		const counters = this.counters.get(id);
		if (!counters) return;
		counters.preAuthentication++;
		if (forced) counters.preAuthenticationForced++;
	}

	private write(id: string, name: string, type: string, data: ICredentialDataDecryptedObject) {
		this.rows.set(id, { id, name, type, json: JSON.stringify(data) });
	}
}

class StoredCredentials extends ICredentials {
	async getData(): Promise<ICredentialDataDecryptedObject> {
		return JSON.parse(this.data ?? '{}') as ICredentialDataDecryptedObject;
	}

	getDataToSave() {
		return { id: this.id, name: this.name, type: this.type, data: this.data ?? '{}' };
	}

	async setData(data: ICredentialDataDecryptedObject) {
		this.data = JSON.stringify(data);
	}

	async updateData(toUpdate: Partial<ICredentialDataDecryptedObject>) {
		await this.setData({ ...(await this.getData()), ...toUpdate } as ICredentialDataDecryptedObject);
	}
}

const mockNodeTypes: INodeTypes = {
	getByName: () => ({ description: { properties: [] } }) as never,
	getByNameAndVersion: () => ({ description: { properties: [] } }) as never,
	getKnownTypes: () => ({}),
};

export class HarnessCredentialsHelper extends ICredentialsHelper {
	constructor(readonly store: CredentialStore) {
		super();
	}

	getParentTypes(name: string): string[] {
		const type = this.store.hasType(name) ? this.store.getType(name) : undefined;
		const parents = type?.extends ?? [];
		return parents.flatMap((parent) => [parent, ...this.getParentTypes(parent)]);
	}

	isCredentialUsableByNode(credentialType: string, nodeType: string): boolean {
		if (!this.store.hasType(credentialType)) return true;
		const type = this.store.getType(credentialType) as ICredentialType & {
			restrictToSupportedNodes?: boolean;
			supportedNodes?: string[];
		};
		if (type.restrictToSupportedNodes !== true) return true;
		return (type.supportedNodes ?? []).includes(nodeType);
	}

	/** Parent properties first; a child's property replaces the parent's of the same name. */
	getCredentialsProperties(type: string): INodeProperties[] {
		const own = this.store.getType(type);
		if (!own.extends?.length) return own.properties;
		const merged: INodeProperties[] = [];
		for (const parent of own.extends) merged.push(...this.getCredentialsProperties(parent));
		for (const property of own.properties) {
			const at = merged.findIndex((p) => p.name === property.name);
			if (at === -1) merged.push(property);
			else merged[at] = property;
		}
		return merged;
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		incoming: IHttpRequestOptions | IRequestOptionsSimplified,
		workflow?: Workflow,
		node?: INode,
	): Promise<IHttpRequestOptions> {
		const requestOptions = incoming as IHttpRequestOptions & Record<string, unknown>;
		const { authenticate } = this.store.getType(typeName);
		if (!authenticate) return requestOptions;
		if (typeof authenticate === 'function') return await authenticate(credentials, requestOptions);
		if (authenticate.type !== 'generic') return requestOptions;
		requestOptions.headers ??= {};
		for (const [outerKey, outerValue] of Object.entries(authenticate.properties)) {
			for (const [key, value] of Object.entries(outerValue as Record<string, string>)) {
				const target = (requestOptions[outerKey] ??= {}) as Record<string, unknown>;
				target[this.resolve(key, credentials, workflow, node)] = this.resolve(value, credentials, workflow, node);
			}
		}
		return requestOptions;
	}

	/** Like n8n: only strings starting with '=' are expressions, evaluated with `$credentials`; empty => ''. */
	private resolve(
		value: string,
		credentials: ICredentialDataDecryptedObject,
		workflow?: Workflow,
		node?: INode,
	): string {
		if (typeof value !== 'string' || !value.startsWith('=')) return value;
		const wf = workflow ?? new Workflow({ nodes: [], connections: {}, active: false, nodeTypes: mockNodeTypes });
		const contextNode = node ?? mockNode;
		const resolved = wf.expression.getSimpleParameterValue(
			contextNode,
			value,
			'internal',
			{ $credentials: credentials } as never,
			undefined,
			'',
		);
		if (!resolved) return '';
		return resolved.toString();
	}

	async preAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		node: INode,
		credentialsExpired: boolean,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const type = this.store.getType(typeName);
		const expirable = type.properties.find((p) => p.type === 'hidden' && p.typeOptions?.expirable === true);
		if (expirable?.name === undefined) return undefined;
		if (typeof type.preAuthentication !== 'function') return undefined;
		if (credentials[expirable.name] !== '' && !credentialsExpired) return undefined;

		const nodeCredentials = node.credentials?.[typeName];
		if (nodeCredentials?.id) this.store.countPreAuthentication(nodeCredentials.id, credentialsExpired);
		const output = await type.preAuthentication.call(helpers, credentials);
		// n8n writes the result only when it carries the expirable property; otherwise it is dropped.
		if (output[expirable.name] === undefined) return undefined;
		if (node.credentials) {
			await this.updateCredentials(node.credentials[type.name], type.name, Object.assign(credentials, output));
			return Object.assign(credentials, output);
		}
		return undefined;
	}

	/**
	 * n8n-core calls this on every OAuth2 request so an OAuth2-based type can add its own pre-authentication.
	 * Our OAuth2 credential defines none; a type that does gets it run, without persistence.
	 */
	async runPreAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const type = this.store.getType(typeName);
		if (typeof type.preAuthentication !== 'function') return undefined;
		return (await type.preAuthentication.call(helpers, credentials)) as ICredentialDataDecryptedObject;
	}

	async getCredentials(nodeCredentials: INodeCredentialsDetails, type: string): Promise<ICredentials> {
		const id = this.idOf(nodeCredentials, type);
		return this.store.credentials(id);
	}

	async getDecrypted(
		additionalData: IWorkflowExecuteAdditionalData,
		nodeCredentials: INodeCredentialsDetails,
		type: string,
		mode: WorkflowExecuteMode,
		_executeData?: unknown,
		raw?: boolean,
	): Promise<ICredentialDataDecryptedObject> {
		const id = this.idOf(nodeCredentials, type);
		const original = this.store.data(id);
		if (raw === true) return original;
		return this.applyDefaultsAndExpressions(additionalData, original, type, mode);
	}

	/** As n8n: defaults of all (inherited) properties, then expressions resolved with `$self` = the data. */
	private applyDefaultsAndExpressions(
		_additionalData: IWorkflowExecuteAdditionalData,
		original: ICredentialDataDecryptedObject,
		type: string,
		mode: WorkflowExecuteMode,
	): ICredentialDataDecryptedObject {
		const properties = this.getCredentialsProperties(type);
		let data = NodeHelpers.getNodeParameters(
			properties,
			original as INodeParameters,
			true,
			false,
			null,
			null,
		) as ICredentialDataDecryptedObject;
		// oauthTokenData is not a declared property, so the line above drops it.
		if (original.oauthTokenData !== undefined) data.oauthTokenData = original.oauthTokenData;
		const workflow = new Workflow({ nodes: [mockNode], connections: {}, active: false, nodeTypes: mockNodeTypes });
		data = workflow.expression.getComplexParameterValue(
			mockNode,
			data as INodeParameters,
			mode,
			{} as never,
			undefined,
			undefined,
			data,
		) as ICredentialDataDecryptedObject;
		return data;
	}

	async updateCredentials(
		nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		this.store.persist(this.idOf(nodeCredentials, type), data, 'update');
	}

	/** n8n saves only the token data on top of the stored credential, not the defaults-applied copy. */
	async updateCredentialsOauthTokenData(
		nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		const id = this.idOf(nodeCredentials, type);
		const saved = this.store.data(id);
		saved.oauthTokenData = data.oauthTokenData as ICredentialDataDecryptedObject['oauthTokenData'];
		this.store.persist(id, saved, 'oauth');
	}

	private idOf(nodeCredentials: INodeCredentialsDetails | undefined, type: string): string {
		if (!nodeCredentials?.id) throw new Error(`Credentials for type "${type}" have no id`);
		const row = this.store.row(nodeCredentials.id);
		if (row.type !== type) {
			throw new Error(`Credential with ID "${nodeCredentials.id}" does not exist for type "${type}".`);
		}
		return nodeCredentials.id;
	}
}

const mockNode: INode = {
	id: 'mock',
	name: 'mock',
	type: 'mock',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};
