/**
 * An approver that gives the same answer to every question and remembers what it was asked:
 * for non-interactive use (a fixed policy answer) and for tests.
 */
import type { ApprovalAnswer, ApprovalRequest, Approver } from "./approver.js";

export class FixedApprover implements Approver {
  readonly requests: ApprovalRequest[] = [];

  constructor(private readonly answer: ApprovalAnswer) {}

  ask(request: ApprovalRequest): Promise<ApprovalAnswer> {
    this.requests.push(request);
    return Promise.resolve(this.answer);
  }
}
