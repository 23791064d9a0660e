/** Parameter reading for the Exchange cmdlets, with PowerShell's binding-style errors. */
import { AdminError, requireParam } from '../../core/admin';

export { AdminError, requireParam };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function optionalString(body: Record<string, unknown>, name: string): string | undefined {
	const value = body?.[name];
	if (value === undefined || value === null || value === '') return undefined;
	if (typeof value !== 'string') throw new AdminError(`Parameter ${name} must be a string`);
	return value;
}

export function requireGuid(body: Record<string, unknown>, name: string): string {
	const value = requireParam(body, name).trim();
	if (!GUID.test(value)) {
		throw new AdminError(
			`Cannot bind parameter '${name}'. The value "${value}" is not a valid GUID.`,
			400,
			'ParameterBindingException',
		);
	}
	return value.toLowerCase();
}

/** A [string[]] parameter: a string, a comma-separated string or an array. */
export function stringList(body: Record<string, unknown>, name: string): string[] {
	const value = body?.[name];
	const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [];
	const list = items.map((item) => String(item).trim()).filter(Boolean);
	if (!list.length) throw new AdminError(`Parameter ${name} is required`);
	return list;
}

/** PowerShell switches arrive as true, "true" or "$true". */
export function switchParam(body: Record<string, unknown>, name: string): boolean {
	const value = body?.[name];
	return value === true || (typeof value === 'string' && /^\$?true$/i.test(value));
}

/** The enumerator binding error PowerShell gives for a value outside an enum. */
export function requireEnum<T extends string>(
	body: Record<string, unknown>,
	name: string,
	typeName: string,
	allowed: readonly T[],
): T {
	const value = requireParam(body, name);
	const match = allowed.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
	if (!match) {
		throw new AdminError(
			`Cannot bind parameter '${name}'. Cannot convert value "${value}" to type "${typeName}". Error: "Unable to match the identifier name ${value} to a valid enumerator name. Specify one of the following enumerator names and try again:\n${allowed.join(', ')}"`,
			400,
			'ParameterBindingException',
		);
	}
	return match;
}

export function notFound(identity: string): AdminError {
	return new AdminError(
		`The operation couldn't be performed because object '${identity}' couldn't be found on 'EMU01A001DC001.EMUPR01A001.PROD.OUTLOOK.COM'.`,
		404,
		'ManagementObjectNotFoundException',
	);
}
