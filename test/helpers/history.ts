/**
 * Reading a workflow history: markers of local activities (Core's `core_local_activity`, with the activity's type and
 * the attempt that succeeded) and patches (`core_patch`, with the patch id), and the inputs activities were given.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface LocalActivityMarker {
  type: string;
  attempt: number;
  /** The id of the WorkflowTaskCompleted event that recorded it. */
  by: string;
}

function markerData(event: HistoryEvent, markerName: string, detail: string): unknown {
  const marker = event.markerRecordedEventAttributes;
  const data = marker?.markerName === markerName ? marker.details?.[detail]?.payloads?.[0]?.data : undefined;
  return data ? JSON.parse(Buffer.from(data).toString('utf8')) : undefined;
}

export function localActivityMarkers(events: readonly HistoryEvent[]): LocalActivityMarker[] {
  return events.flatMap((event) => {
    const data = markerData(event, 'core_local_activity', 'data') as
      { activity_type: string; attempt: number } | undefined;
    if (!data) return [];
    const by = String(event.markerRecordedEventAttributes!.workflowTaskCompletedEventId);
    return [{ type: data.activity_type, attempt: data.attempt, by }];
  });
}

export function patchMarkers(events: readonly HistoryEvent[]): string[] {
  return events.flatMap((event) => {
    const data = markerData(event, 'core_patch', 'patch-data') as { id: string } | undefined;
    return data ? [data.id] : [];
  });
}

/** The first argument of every activity the history scheduled, in order (a poller's: its polls' inputs). */
export function activityInputs<T>(events: readonly HistoryEvent[]): T[] {
  return events.flatMap((event) =>
    (event.activityTaskScheduledEventAttributes?.input?.payloads ?? [])
      .slice(0, 1)
      .map((payload) => defaultPayloadConverter.fromPayload<T>(payload)),
  );
}
