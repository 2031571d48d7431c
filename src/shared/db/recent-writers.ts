/**
 * Users who wrote a moment ago, so their next reads go to the primary (read-your-writes)
 * rather than to a replica that may not have their write yet. Per process: in split mode,
 * `LB_STRATEGY=consistent_hash` keeps a user on one instance.
 */
export class RecentWriters {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly maxUsers = 100_000,
  ) {}

  /** Records that userId just sent a command. */
  note(userId: string): void {
    this.until.delete(userId);
    this.until.set(userId, Date.now() + this.windowMs);
    if (this.until.size > this.maxUsers) this.until.delete(this.until.keys().next().value!);
  }

  /** Whether userId wrote within the window. */
  has(userId: string): boolean {
    const until = this.until.get(userId);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.until.delete(userId);
    return false;
  }
}
