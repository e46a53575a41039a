/**
 * How Temporal client errors are told apart: "no such workflow", "Temporal cannot be reached or is too slow now"
 * (worth trying again later), and the rest.
 */
import { WorkflowNotFoundError } from '@temporalio/client';

/** gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
const grpc = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** The gRPC status code of an error or of its cause, if it has one. */
export function grpcCode(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth += 1) {
    if (typeof e === 'object' && 'code' in e && typeof e.code === 'number') return e.code;
    e = typeof e === 'object' && 'cause' in e ? e.cause : undefined;
  }
  return undefined;
}

export function isNotFound(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError || grpcCode(err) === grpc.NOT_FOUND;
}

/** A request Temporal refuses as malformed: it will never succeed as it is. */
export function isInvalidArgument(err: unknown): boolean {
  return grpcCode(err) === grpc.INVALID_ARGUMENT;
}

/** Temporal could not be reached, or did not answer in time: the same request may succeed later. */
export function isUnavailable(err: unknown): boolean {
  const code = grpcCode(err);
  if (code === undefined) {
    const name = err instanceof Error ? err.name : '';
    return name === 'WorkflowUpdateRPCTimeoutOrCancelledError' || name === 'TransportError';
  }
  const transient: number[] = [
    grpc.CANCELLED,
    grpc.UNKNOWN,
    grpc.DEADLINE_EXCEEDED,
    grpc.RESOURCE_EXHAUSTED,
    grpc.ABORTED,
    grpc.INTERNAL,
    grpc.UNAVAILABLE,
  ];
  return transient.includes(code);
}
