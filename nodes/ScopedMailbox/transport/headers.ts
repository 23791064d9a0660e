/** Headers every Graph request carries, inner requests of a $batch included. */
export function defaultGraphHeaders(): Record<string, string> {
	return {};
}
