/** The machine a run was made on, for the table's caption. */
import { cpus, loadavg, platform, release, totalmem } from 'node:os';

export interface MachineInfo {
	cpuModel: string;
	cores: number;
	memoryGiB: number;
	node: string;
	os: string;
	/** 1-minute load average when the run started: other work on the machine makes figures noisier. */
	loadAverageAtStart: number;
}

export function machineInfo(): MachineInfo {
	const list = cpus();
	return {
		cpuModel: (list[0]?.model ?? 'unknown').trim(),
		cores: list.length,
		memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
		node: process.version,
		os: `${platform()} ${release()}`,
		loadAverageAtStart: Math.round(loadavg()[0] * 100) / 100,
	};
}

export function describeMachine(m: MachineInfo): string {
	return `${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, Node ${m.node}, ${m.os}`;
}
