# frozen_string_literal: true

# A process learns Intercom's attribute definitions once: the first syncs of a cold process
# (perform_all's workers, a Sidekiq process's threads) wait for the one sync reading them,
# instead of each reading both lists.
RSpec.describe "attribute definitions, read once per process", sync: true do
  before { define_user_attributes }

  def definition_reads
    emulator.requests.count { |r| r.method == "GET" && r.path == "/data_attributes" }
  end

  it "is read by one sync while the other workers of a cold process wait for it" do
    emulator.inject(:latency, seconds: 0.3, path: "/data_attributes") # the others start meanwhile
    report = SyncWithIntercom.perform_all(poro_users(16, "a"), concurrency: 8, prefetch: false)
    expect(report.failed).to eq(0)
    expect(definition_reads).to eq(1) # the contact list, once (these users have no teams: no company list)
  end

  it "lets the next sync read them when the one reading them failed, without waiting long" do
    emulator.inject(:status, status: 403, code: "forbidden", path: "/data_attributes", times: 1)
    users = poro_users(4, "b")
    report = SyncWithIntercom.perform_all(users, concurrency: 4, prefetch: false)
    expect(report.errors.size).to eq(1)
    expect(report.succeeded).to eq(3)
    expect(definition_reads).to eq(2) # the failed read, then the next sync's
  end

  it "does not hold the others when the first sync needs no definitions at all" do
    users = poro_users(3, "c")
    users.first.define_singleton_method(:as_json) { |*| {} } # nothing custom: no definitions read
    report = nil
    waited = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    report = SyncWithIntercom.perform_all(users, concurrency: 1, prefetch: false)
    expect(report.failed).to eq(0)
    expect(Process.clock_gettime(Process::CLOCK_MONOTONIC) - waited).to be < 5 # not the 10 s wait's bound
  end
end
