/** The OA import's Update and Query names: defined by the workflow, spelled again by the admin client (activities). */
import { oaImportAdminUpdateName, oaImportStatusQueryName } from '../../activities/oa';
import { oaImportAdminUpdate, oaImportStatusQuery } from '../../workflows/oa-import';

it('the admin client calls the Update and Query the workflow defines', () => {
  expect(oaImportAdminUpdate.name).toBe(oaImportAdminUpdateName);
  expect(oaImportStatusQuery.name).toBe(oaImportStatusQueryName);
});
