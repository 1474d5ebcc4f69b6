# frozen_string_literal: true

require "open3"
require "rbconfig"

# The very first syncs of a threaded process (Sidekiq, Puma, perform_all) run at the same time.
# Anything the sync loads lazily on first use (Digest::SHA256 through const_missing was the
# case: "Digest::Base cannot be directly inherited in Ruby") races between those threads, so
# this needs a process that has never synced: a subprocess. 48 threads on 2 cores.
# subprocess: runs another Ruby, which valgrind would trace and report on
RSpec.describe "the first syncs of a fresh threaded process", sync: true, subprocess: true do
  CHILD = <<~'RUBY'
    require "intercom_sync"
    IntercomSync.configure do |c|
      c.base_url = ENV.fetch("EMULATOR_URL")
      c.access_token = ENV.fetch("EMULATOR_TOKEN")
      c.enabled = true
      c.logger = Logger.new(nil)
    end
    Team = Struct.new(:id, :domain, :created_at, :monthly_spend, :metadata, keyword_init: true) do
      def as_json(*) = { "tier" => "gold" }
      def update!(changes) = changes.each { |k, v| self[k] = v }
    end
    # every step of a sync: the contact found, its time zone saved, a company upserted and
    # attached, a lead merged (a user signed up just now)
    User = Struct.new(:id, :email, :name, :phone_number, :timezone, :created_at, :last_request_at, :metadata,
                      :team, keyword_init: true) do
      def from_oauth? = false
      def teams = [team]
      def owned_teams = [team]
      def as_json(*) = { "seats" => 1, "signed_up" => Time.at(1_600_000_000) }
      def update!(changes) = changes.each { |k, v| self[k] = v }
    end
    threads = Integer(ENV.fetch("THREADS"))
    gate = Queue.new
    workers = Array.new(threads) do |i|
      Thread.new do
        gate.pop
        sleep(i * 0.005) # first syncs arrive over a quarter second, as jobs do
        team = Team.new(id: i, domain: "t#{i}.example", created_at: Time.at(1_600_000_000), monthly_spend: 9.5,
                        metadata: {})
        user = User.new(id: "first-#{i}", email: "first-#{i}@example.com", created_at: Time.now, metadata: {}, team: team)
        result = SyncWithIntercom.perform(user)
        ok = user.timezone == "Europe/Paris" && result.companies_attached.size == 1 && result.leads_merged.size == 1
        ok ? "ok" : result.inspect
      rescue Exception => e # rubocop:disable Lint/RescueException
        "#{e.class}: #{e.message}"
      end
    end
    # A lazy load races only when a thread switch lands inside it, which the 100 ms time slice
    # makes rare; pausing in every class definition from here on (Digest::SHA256 was defined in
    # the first sync, and another thread could see it before its set-up ended) makes the switch
    # certain, so any lazy loading on a sync's path fails here instead of now and then in prod.
    TracePoint.new(:c_call) { |tp| sleep(0.25) if tp.method_id == :inherited }.enable
    threads.times { gate << :go }
    puts workers.map(&:value)
  RUBY

  it "syncs every user when 48 threads start their first sync at once" do
    define_user_attributes
    48.times do |i|
      emulator.seed_contact(role: "user", external_id: "first-#{i}", email: "first-#{i}@example.com", timezone: "Europe/Paris")
      emulator.seed_contact(role: "lead", email: "first-#{i}@example.com", phone: "+1 555 #{i}")
    end
    env = { "EMULATOR_URL" => emulator.base_url, "EMULATOR_TOKEN" => emulator.token, "THREADS" => "48" }
    lib = File.expand_path("../../lib", __dir__)
    out, err, status = Open3.capture3(env, RbConfig.ruby, "-I", lib, "-rlogger", "-e", CHILD)
    expect(status).to be_success, err
    outcomes = out.lines.map(&:chomp)
    expect(outcomes.size).to eq(48)
    expect(outcomes.reject { |o| o == "ok" }).to eq([])
  end
end

RSpec.describe "perform_all: an error that is not an IntercomSync::Error", sync: true do
  before { define_user_attributes }

  it "is reported in the outcome with its class, message and where it was raised, and logged" do
    good, bad = poro_users(2, "u")
    def bad.as_json(*) = raise(ArgumentError, "as_json exploded") # a bug in the app's model
    outcomes = SyncWithIntercom.perform_all([good, bad], concurrency: 2, prefetch: false).outcomes
    failed = outcomes.find { |o| o.user.equal?(bad) }
    expect(outcomes.find { |o| o.user.equal?(good) }).to be_ok
    expect(failed).to be_unexpected
    expect(failed.error).to be_a(ArgumentError)
    expect(failed.reason).to match(/\Aunexpected ArgumentError \(not an IntercomSync::Error\) raised at #{Regexp.escape(__FILE__)}:\d+:in .*as_json.*: as_json exploded\z/)
    expect(log.string).to include("user u-1: #{failed.reason}")
  end

  it "names the cause of an unexpected error that wraps another" do
    user = poro_users(1, "c").first
    def user.as_json(*)
      raise KeyError, "inner"
    rescue KeyError
      raise "outer"
    end
    outcome = SyncWithIntercom.perform_all([user], concurrency: 1, prefetch: false).outcomes.first
    expect(outcome.reason).to end_with(": outer (caused by KeyError: inner)")
  end

  it "gives an IntercomSync::Error's class and message, as expected" do
    user = poro_users(1, "n").first
    user.id = "a\0b"
    outcome = SyncWithIntercom.perform_all([user], concurrency: 1, prefetch: false).outcomes.first
    expect(outcome).not_to be_unexpected
    expect(outcome.reason).to eq("IntercomSync::InvalidInputError: the user id contains a NUL byte")
    expect(log.string).not_to include("unexpected")
  end
end

RSpec.describe "the workspace key", sync: true do
  it "is computed once per token and URL, not on every sync" do
    define_user_attributes
    users = poro_users(3, "k")
    expect(Digest::SHA256).to receive(:hexdigest).once.and_call_original
    users.each { |u| SyncWithIntercom.perform(u) }
  end
end
