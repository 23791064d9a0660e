import type { EmulatorContext } from '../core/context';

/** Registers Exchange's admin cmdlets (owned by the exchange module's author; placeholder until it lands). */
export function registerExchange(_ctx: EmulatorContext): void {}
