import vm from 'node:vm';
import { stackFramesForNewContexts } from '../../workers/worker';

const newContextLimit = () => vm.runInNewContext('Error.stackTraceLimit') as unknown;

describe('stackFramesForNewContexts', () => {
  it('sets the frames of contexts created meanwhile, and sets them back once the last overlapping caller is done', () => {
    const before = newContextLimit();
    const ownLimit = Error.stackTraceLimit;
    const first = stackFramesForNewContexts(4);
    expect(newContextLimit()).toBe(4);
    const second = stackFramesForNewContexts(6);
    expect(newContextLimit()).toBe(6);
    first();
    first(); // twice changes nothing
    expect(newContextLimit()).toBe(6);
    second();
    expect(newContextLimit()).toBe(before);
    expect(Error.stackTraceLimit).toBe(ownLimit);
  });

  it('leaves everything as it is without a number', () => {
    const before = newContextLimit();
    stackFramesForNewContexts(undefined)();
    expect(newContextLimit()).toBe(before);
  });
});
