export function defaultGraphHeaders(): Record<string, string> {
	return {};
}
