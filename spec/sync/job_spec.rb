# frozen_string_literal: true

RSpec.describe "SyncWithIntercomJob", sync: true do
  before do
    require "intercom_sync/job"
    define_user_attributes
    ActiveJob::Base.queue_adapter = :test
    IntercomSync.configuration.max_retries = 0
  end

  after { ActiveJob::Base.queue_adapter = :inline }

  let(:user) { create_user }
  let(:enqueued) { ActiveJob::Base.queue_adapter.enqueued_jobs }

  it "syncs the user on the crm_sync queue" do
    SyncWithIntercomJob.perform_now(user)
    expect(emulator.contact_by_external_id(user.id)).not_to be_nil
    expect(SyncWithIntercomJob.queue_name).to eq("crm_sync")
  end

  it "reschedules itself for Intercom's reset on a 429 instead of sleeping in the worker" do
    emulator.inject(:status, status: 429, code: "rate_limit_exceeded", headers: { "X-RateLimit-Reset" => (Time.now.to_i + 7).to_s })
    started = Time.now
    SyncWithIntercomJob.perform_now(user)
    expect(Time.now - started).to be < 1
    expect(enqueued.size).to eq(1)
    expect(enqueued.first[:at]).to be_within(2.5).of(Time.now.to_f + 7)
    expect(emulator.requests.size).to eq(1)
  end

  it "logs why it rescheduled itself at info: the wait, the reason, the user by class and id, the attempt" do
    ActiveJob::Base.logger = Logger.new(log = StringIO.new)
    emulator.inject(:status, status: 429, code: "rate_limit_exceeded", headers: { "X-RateLimit-Reset" => (Time.now.to_i + 7).to_s })
    job = SyncWithIntercomJob.new(user)
    job.perform_now
    lines = log.string.lines.grep(/rescheduled/)
    expect(lines.size).to eq(1), log.string
    expect(lines.first).to match(/ INFO -- : \[intercom_sync\] SyncWithIntercomJob #{job.job_id} rescheduled in \d+\.\d s: rate limited \(IntercomSync::RateLimitError\), User #{user.id}, attempt 1 of 25$/)
    expect(lines.first[/in (\S+) s/, 1].to_f).to be_within(2.5).of(enqueued.first[:at] - Time.now.to_f)
    expect(log.string).not_to include(emulator.token, "ann@example.com")
  end

  it "logs the status or the class of a transient failure it retries, never the server's text" do
    ActiveJob::Base.logger = Logger.new(log = StringIO.new)
    emulator.inject(:status, status: 503, message: "upstream said ann@example.com")
    job = SyncWithIntercomJob.new(user)
    job.executions = 2
    job.perform_now
    expect(log.string).to match(/rescheduled in \d+\.\d s: HTTP 503 \(IntercomSync::ServiceUnavailableError\), User #{user.id}, attempt 3 of 8$/)
    expect(log.string).not_to include("upstream said", "ann@example.com")
  end

  it "retries transient failures with a growing wait" do
    emulator.inject(:status, status: 503)
    SyncWithIntercomJob.perform_now(user) # the first run: executions**4 + 2 + rand(5) = 3 to 7 s
    expect(enqueued.size).to eq(1)
    expect(enqueued.first[:at] - Time.now.to_f).to be_between(2.5, 7)
    job = SyncWithIntercomJob.new(user)
    job.executions = 2 # the third run: 83 to 87 s
    job.perform_now
    expect(enqueued.size).to eq(2)
    expect(enqueued.last[:at] - Time.now.to_f).to be_between(82.5, 87)
  end

  {
    "a revoked token" => [401, "unauthorized", IntercomSync::AuthenticationError],
    "a missing scope" => [403, "token_unauthorized", IntercomSync::ForbiddenError],
    "data Intercom refuses" => [400, "parameter_invalid", IntercomSync::ParameterInvalidError]
  }.each do |name, (status, code, error)|
    it "discards the job with an error in the log for #{name}" do
      log = StringIO.new
      ActiveJob::Base.logger = Logger.new(log)
      emulator.inject(:status, status: status, code: code)
      expect { SyncWithIntercomJob.perform_now(user) }.not_to raise_error
      expect(enqueued).to be_empty
      expect(log.string).to include("gave up", error.name)
    end
  end

  # Each class the job used to leave to the queue's own retries (for days), and the statuses
  # whose class alone does not decide, handled as IntercomSync::TRANSIENCE says.
  {
    301 => [IntercomSync::RedirectError, :discard], 404 => [IntercomSync::NotFoundError, :discard],
    406 => [IntercomSync::NotAcceptableError, :discard], 408 => [IntercomSync::ClientError, :retry],
    501 => [IntercomSync::ServerError, :discard], 502 => [IntercomSync::ServerError, :retry]
  }.each do |status, (error, action)|
    it "#{action == :retry ? 'retries' : 'discards'} on HTTP #{status} (#{error.name})" do
      ActiveJob::Base.logger = Logger.new(log = StringIO.new)
      emulator.inject(:status, status: status, code: "unlisted")
      expect { SyncWithIntercomJob.perform_now(user) }.not_to raise_error
      if action == :retry
        expect(enqueued.size).to eq(1)
        expect(log.string).not_to include("gave up")
      else
        expect(enqueued).to be_empty
        expect(log.string).to include("gave up on User #{user.id}: #{error.name}")
      end
    end
  end

  it "names the user by class and id in the discard line, never by inspecting the record" do
    ActiveJob::Base.logger = Logger.new(log = StringIO.new)
    emulator.inject(:status, status: 401, code: "unauthorized")
    SyncWithIntercomJob.perform_now(user)
    expect(log.string).to include("gave up on User #{user.id}:")
    expect(log.string).not_to include("ann@example.com")
    expect(log.string).not_to include("#<User")
  end

  it "discards, with one log line, a job whose user was deleted before it ran" do
    job = SyncWithIntercomJob.new(user).serialize
    id = user.id
    user.destroy
    ActiveJob::Base.logger = Logger.new(log = StringIO.new)
    expect { ActiveJob::Base.execute(job) }.not_to raise_error
    expect(enqueued).to be_empty
    expect(emulator.requests).to be_empty
    lines = log.string.lines.grep(/DeserializationError|no longer exists/)
    expect(lines.size).to eq(1), log.string
    expect(lines.first).to include("User #{id}")
  end

  it "gives up on a transient failure after its attempts, raising it for the queue to see" do
    emulator.inject(:status, status: 503)
    job = SyncWithIntercomJob.new(user)
    job.executions = SyncWithIntercomJob::TRANSIENT_ATTEMPTS - 1
    expect { job.perform_now }.to raise_error(IntercomSync::ServiceUnavailableError)
    expect(enqueued).to be_empty
  end

  it "discards a user whose email belongs to another user's contact" do
    emulator.seed_contact(role: "user", external_id: "someone", email: "ann@example.com")
    ActiveJob::Base.logger = Logger.new(log = StringIO.new)
    SyncWithIntercomJob.perform_now(user)
    expect(enqueued).to be_empty
    expect(log.string).to include("IntercomSync::ConflictError")
  end
end
