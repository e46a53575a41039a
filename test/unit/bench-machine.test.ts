/** The bench's machine sample (scripts/bench/measure.ts): /proc/stat's cpu line as busy, idle and stolen seconds. */
import { parseMachineLine } from '../../scripts/bench/measure';

it('reads busy, idle and stolen time from the cpu line', () => {
  // user nice system idle iowait irq softirq steal guest guest_nice, in 1/100 s
  expect(parseMachineLine('cpu  2657929 5748 533789 6442384 29330 0 30778 47496 0 0')).toEqual({
    busySeconds: (2657929 + 5748 + 533789 + 30778) / 100,
    idleSeconds: (6442384 + 29330) / 100,
    stolenSeconds: 474.96,
  });
});

it('gives nothing for a line that is not the machine total', () => {
  expect(parseMachineLine('cpu0 1 2 3 4 5 6 7 8 0 0')).toBeUndefined();
  expect(parseMachineLine('cpu 1 2 3')).toBeUndefined();
  expect(parseMachineLine('cpu 1 2 3 4 5 6 7 x')).toBeUndefined();
});
