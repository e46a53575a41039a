/**
 * The workflows' contract names what the worker registers: callers start workflows by these names, so a renamed
 * workflow function must fail here, not in production.
 */
import * as workflows from '../../workflows';
import { workflowTypes } from '../../workflows/contract';
import { customSearchAttributes } from '../../workflows/search-attributes';

describe('workflow contract', () => {
  it('names exactly the workflows the worker registers', () => {
    expect(Object.keys(workflows).sort()).toEqual(Object.values(workflowTypes).sort());
    for (const name of Object.values(workflowTypes)) {
      expect(typeof (workflows as Record<string, unknown>)[name]).toBe('function');
    }
  });

  it('declares each search attribute once', () => {
    const names = customSearchAttributes.map((key) => key.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
