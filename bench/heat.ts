import { parseArgs } from 'node:util';
import { defaultHeatParameters, measurePartitionHeat, partitionHeatTable, type HeatParameters } from './partition-heat';

/**
 * `npm run heat -- --import-rows-per-second 10000 --import-owners 20`: the partition-heat
 * model alone (no DynamoDB needed), with the workload's parameters as flags. `npm run bench`
 * runs it with the same flags and keeps the result in its JSON.
 */
export function heatParametersFrom(args: readonly string[]): HeatParameters {
  const flag = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
  const options = Object.fromEntries(Object.keys(defaultHeatParameters).map((name) => [flag(name), { type: 'string' as const }]));
  const { values } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true });
  const parsed = Object.entries(defaultHeatParameters).map(([name, fallback]) => {
    const given = values[flag(name)];
    if (typeof given !== 'string') return [name, fallback];
    if (typeof fallback === 'string') return [name, given];
    const number = Number(given);
    if (!Number.isFinite(number) || number <= 0) throw new Error(`--${flag(name)} must be a positive number`);
    return [name, number];
  });
  return Object.fromEntries(parsed) as HeatParameters;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const model = await measurePartitionHeat(heatParametersFrom(process.argv.slice(2)));
  console.log(partitionHeatTable(model));
}
