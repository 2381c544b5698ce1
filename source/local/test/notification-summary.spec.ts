// SPDX-License-Identifier: Apache-2.0
/** The local run report's account of the SNS notifications (summariseNotifications). */
import { summariseNotifications } from '../run/local-run';

describe('summariseNotifications', () => {
  it('keeps the whole text of a long error notification, down to the Resume input at its end', () => {
    const cause = `Users not restored: ${'x'.repeat(4_000)}`;
    const resume =
      'To finish the restore, start the ImportWorkflow again with {"NewUserPoolId":"us-east-1_Pool","Resume": true}';
    const message = `The ImportWorkflow failed: unexpected error\n\n${cause}\n\n${resume}`;
    expect(
      summariseNotifications([
        { kind: 'success', message: 'The ExportWorkflow completed successfully' },
        { kind: 'error', message },
        { kind: 'other', message: 'something else' },
      ]),
    ).toEqual({ sent: 3, success: 1, error: 1, errorMessages: [message] });
  });

  it('lists no error messages when no error notification was sent', () => {
    expect(summariseNotifications([{ kind: 'success', message: 'done' }])).toEqual({
      sent: 1,
      success: 1,
      error: 0,
    });
  });
});
