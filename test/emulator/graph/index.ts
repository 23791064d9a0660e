import type { EmulatorContext } from '../core/context';

/** Registers the Graph v1.0 mail API (owned by the graph module's author; placeholder until it lands). */
export function registerGraph(_ctx: EmulatorContext): void {}
