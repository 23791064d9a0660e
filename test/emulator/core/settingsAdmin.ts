import { AdminError, type AdminRegistry } from './admin';
import type { Clock } from './context';
import type { Faults } from './faults';
import type { RequestLog } from './requestLog';
import type { EmulatorState, Settings } from './state';

/** Admin operations of the core: clock, settings, faults, request log. */
export function registerCoreAdmin(
	admin: AdminRegistry,
	state: EmulatorState,
	clock: Clock,
	faults: Faults,
	log: RequestLog,
): void {
	const nowBody = () => ({ now: new Date(clock.now()).toISOString(), epochMs: clock.now() });
	admin.register('Get-Clock', nowBody);
	admin.register('Advance-Clock', (body: { Seconds?: number }) => {
		const seconds = Number(body.Seconds);
		if (!Number.isFinite(seconds)) throw new AdminError('Parameter Seconds (a number) is required');
		clock.advance(seconds * 1000);
		return nowBody();
	});
	admin.register('Set-Clock', (body: { Iso?: string }) => {
		const at = Date.parse(body.Iso ?? '');
		if (Number.isNaN(at)) throw new AdminError('Parameter Iso (an ISO 8601 time) is required');
		clock.set(at);
		return nowBody();
	});
	admin.register('Get-Settings', () => ({ ...state.settings }));
	admin.register('Set-Settings', (body: Record<string, unknown>) => {
		const updates: Partial<Record<keyof Settings, number>> = {};
		for (const [name, value] of Object.entries(body)) {
			const key = (name[0].toLowerCase() + name.slice(1)) as keyof Settings;
			if (!(key in state.settings)) throw new AdminError(`Unknown setting ${name}`);
			const n = Number(value);
			if (!Number.isFinite(n) || n < 0) throw new AdminError(`Setting ${name} must be a number >= 0`);
			updates[key] = n;
		}
		Object.assign(state.settings, updates);
		return { ...state.settings };
	});
	admin.register('Add-Fault', (body: Record<string, unknown>) => faults.add(body));
	admin.register('Clear-Faults', () => {
		faults.clear();
		return {};
	});
	admin.register('Get-RequestLog', (body: { Since?: number | string }) => log.list(body.Since));
	admin.register('Clear-RequestLog', () => {
		log.clear();
		return {};
	});
	admin.register('Get-AdminOperations', () => admin.names());
}
