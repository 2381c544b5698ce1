// SPDX-License-Identifier: Apache-2.0
/**
 * The benchmark chart: each achieved rate as a share of its bound, drawn by Vega-Lite as SVG (shares
 * above 110%, such as the emulator's own listing speed, are drawn at 110%).
 */
import type { BenchResult } from './run';

export async function renderChart(results: BenchResult[]): Promise<string> {
  // Both packages are ES modules; the harness is CommonJS.
  const vega = await import('vega');
  const vegaLite = await import('vega-lite');
  const values = results.flatMap((result) =>
    result.rates.map((rate) => ({
      case: result.case,
      metric: rate.metric,
      share: Math.round(rate.ratio * 1000) / 10,
    })),
  );
  const spec = vegaLite.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Achieved rate as a share of its bound (local emulators, --latency aws)',
    width: 520,
    data: { values },
    layer: [
      {
        mark: 'bar',
        encoding: {
          y: { field: 'case', type: 'nominal', title: null },
          yOffset: { field: 'metric' },
          x: {
            field: 'share',
            type: 'quantitative',
            title: '% of bound',
            scale: { domain: [0, 110], clamp: true },
          },
          color: { field: 'metric', type: 'nominal', legend: { orient: 'bottom', columns: 2 } },
        },
      },
      { mark: { type: 'rule', strokeDash: [4, 4] }, encoding: { x: { datum: 90 } } },
    ],
  }).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  return view.toSVG();
}
