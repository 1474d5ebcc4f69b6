# frozen_string_literal: true

require "timeout"
require "intercom_sync/batch_job"

RSpec.describe "rake intercom_sync:backfill BATCH_JOBS=1 and intercom_sync:batch:status", sync: true, rake: true do
  include BatchHelpers

  def drain
    while (job = enqueued.shift)
      ActiveJob::Base.execute(job)
    end
  end

  def batch_backfill(**env)
    run_task("intercom_sync:backfill", env: { "BATCH_JOBS" => "1" }.merge(env.transform_keys(&:to_s)))
  end

  def status(*args, **env)
    run_task("intercom_sync:batch:status", *args, env: env.transform_keys(&:to_s))
  end

  it "enqueues a job per range, and says the batch's id and how to follow it" do
    Array.new(5) { |i| create_user(email: "t#{i}@example.com") }
    run = batch_backfill(USERS_PER_JOB: "2")
    expect(run.status).to eq(0)
    id = IntercomSync::Batch::Record.latest.id
    expect(run.out).to eq(<<~TEXT)
      Batch #{id}: all Users, 5 users in 3 SyncWithIntercomBatchJob jobs of up to 2 users, enqueued on crm_sync.
      Follow it with: bin/rails "intercom_sync:batch:status[#{id}]" (WAIT=1 waits until it is done)
    TEXT
    expect(run.err).to include("the batch store is a MemoryStore (per process)")
    expect(enqueued.size).to eq(3)
    expect(emulator.requests).to be_empty
  end

  it "status shows the progress of a running batch, then its summary once done, with the failed ids" do
    users = Array.new(5) { |i| create_user(email: "t#{i}@example.com") }
    emulator.inject(:status, status: 422, code: "parameter_invalid", method: :post, path: "/contacts", times: 1)
    IntercomSync.configuration.max_retries = 0
    batch_backfill(USERS_PER_JOB: "2", CONCURRENCY: "1")
    id = IntercomSync::Batch::Record.latest.id
    ActiveJob::Base.execute(enqueued.shift)

    run = status(id)
    expect(run.status).to eq(0)
    expect(run.out).to match(/\ABatch #{id}: all Users, 5 users in 3 jobs of up to 2 users, started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\.\n/)
    expect(run.out).to include("Jobs: 1/3 done, 0 running, 2 waiting.\nUsers: 1 synced, 1 failed, ")
    expect(run.out).not_to include("finished")

    drain
    run = status # the latest batch
    expect(run.status).to eq(1) # a user failed
    expect(run.out).to match(/^Finished at .* UTC, after \d+:\d\d:\d\d \(.* users\/s\)\.$/)
    expect(run.out).to include("Jobs: 3/3 done.\nUsers: 4 synced, 1 failed, ",
                               "Failed User ids (with the error): #{users[0].id} (IntercomSync::ParameterInvalidError)\n",
                               %(Sync one again, with its reason, by: bin/rails "intercom_sync:sync[#{users[0].id}]"))
  end

  it "status WAIT=1 prints a line every EVERY seconds until the batch is done, then the summary" do
    Array.new(4) { |i| create_user(email: "w#{i}@example.com") }
    batch_backfill(USERS_PER_JOB: "1")
    # a worker runs the jobs once the status has printed its first line (run_task's $stdout)
    runner = Thread.new do
      3000.times { $stdout.is_a?(StringIO) && $stdout.string.start_with?("batch ") ? break : sleep(0.01) }
      drain
    end
    run = Timeout.timeout(120) { status(WAIT: "1", EVERY: "0.01") } # (a hang fails, it is not timed)
    runner.join
    expect(run.status).to eq(0)
    expect(run.out.lines.grep(/\Abatch .*: \d\/4 jobs done/)).not_to be_empty
    expect(run.out).to include("Jobs: 4/4 done.\nUsers: 4 synced, 0 failed, ")
  end

  it "retry enqueues again the ranges given up, and the batch then finishes without them" do
    Array.new(3) { |i| create_user(email: "g#{i}@example.com") }
    batch_backfill(USERS_PER_JOB: "2")
    id = IntercomSync::Batch::Record.latest.id
    IntercomSync.configuration.enabled = false # the workers that took the jobs had the sync switched off
    drain
    expect(status(id).out).to include("Jobs: 2/2 done (2 given up).")
    IntercomSync.configuration.enabled = true

    run = run_task("intercom_sync:batch:retry", id)
    expect(run.out).to eq(<<~TEXT)
      Batch #{id}: 2 ranges enqueued again (2 given up, 0 refused by the queue).
      Follow it with: bin/rails "intercom_sync:batch:status[#{id}]" (WAIT=1 waits until it is done)
    TEXT
    expect(status(id).out).to include("Jobs: 0/2 done, 0 running, 2 waiting.")
    drain
    run = status(id)
    expect(run.status).to eq(0)
    expect(run.out).to include("Jobs: 2/2 done.\nUsers: 3 synced, 0 failed")
    expect(run_task("intercom_sync:batch:retry", id).out).to eq("Batch #{id}: no range was given up or refused; nothing to enqueue again.\n")
  end

  it "status of a batch the store does not have says so and exits 1" do
    run = status("20260101T000000-abcdef")
    expect(run.status).to eq(1)
    expect(run.err).to eq("no batch 20260101T000000-abcdef in the batch store (a MemoryStore); " \
                          "batches are kept 30 days after their last change\n")
  end

  it "refuses what a batch backfill cannot do, before enqueuing anything" do
    create_user
    expect(batch_backfill(ENQUEUE: "1").err)
      .to eq("BATCH_JOBS=1 and ENQUEUE=1 are two ways to enqueue the backfill: choose one\n")
    expect(batch_backfill(CURSOR: "x").err)
      .to eq("BATCH_JOBS=1 keeps its progress in the batch store, not a cursor: leave out CURSOR, FRESH and RESUME\n")
    expect(batch_backfill(USERS_PER_JOB: "0").err).to eq("USERS_PER_JOB=0 is not a whole number from 1 to 1000000\n")
    IntercomSync::Batch.store = ActiveSupport::Cache::NullStore.new
    run = batch_backfill
    expect(run.status).to eq(1)
    expect(run.err).to start_with("the batch store, ActiveSupport::Cache::NullStore (config.cache_store = :null_store), forgets")
    expect(enqueued).to be_empty
  end
end
