# frozen_string_literal: true

require "tmpdir"
require "json"
require "rbconfig"

# The backfill as an operator runs it: `rake intercom_sync:backfill` in a process of its own (a
# Rakefile with an :environment task, as a Rails app has), its output a pipe, stopped part way by
# a signal, then run again.
RSpec.describe "rake intercom_sync:backfill in its own process", sync: true, subprocess: true do
  emulator_options rtt: 0.01 # slow enough that the run is still going when the signal lands

  LIB = File.expand_path("../../lib", __dir__)
  SAMPLE_APP = File.expand_path("../../examples/sample_app", __dir__)

  before do
    @dir = Dir.mktmpdir("intercom-sync-backfill-process")
    @database = File.join(@dir, "app.sqlite3")
    SampleApp.connect(@database)
    @users = Array.new(40) { |i| create_user(email: "k#{i}@example.com") }
    File.write(File.join(@dir, "Rakefile"), <<~RUBY)
      $LOAD_PATH.unshift(#{LIB.inspect})
      load #{File.join(LIB, 'intercom_sync/tasks.rake').inspect}
      task :environment do
        require "intercom_sync"
        require #{SAMPLE_APP.inspect}
        ActiveRecord::Base.establish_connection(adapter: "sqlite3", database: #{@database.inspect}, pool: 20,
                                                default_transaction_mode: :immediate)
        IntercomSync.configuration.logger = Logger.new(nil)
      end
    RUBY
  end

  after { FileUtils.remove_entry(@dir) }

  let(:cursor) { File.join(@dir, "tmp", "intercom_sync", "backfill.cursor") } # the default place, under the app

  def env
    { "INTERCOM_BASE_URL" => emulator.base_url, "INTERCOM_ACCESS_TOKEN" => emulator.token,
      "INTERCOM_SYNC_ENABLED" => "true", "PROGRESS_EVERY" => "0", "CONCURRENCY" => "2" }
  end

  # Runs the task; with `stop_after`, sends `signal` once that many users are reported done.
  # Returns [output lines, exit status].
  def rake_backfill(stop_after: nil, signal: nil)
    lines = []
    status = nil
    IO.popen(env, [RbConfig.ruby, "-S", "rake", "-f", File.join(@dir, "Rakefile"), "intercom_sync:backfill"],
             chdir: @dir, err: %i[child out]) do |io|
      io.each_line do |line|
        lines << line.chomp
        Process.kill(signal, io.pid) if stop_after && line.start_with?("backfill: #{stop_after}/")
      end
      Process.wait(io.pid)
      status = $?
    end
    [lines, status]
  end

  def creates_by_user
    emulator.requests.select { |r| r.method == "POST" && r.path == "/contacts" }
            .map { |r| JSON.parse(r.body)["external_id"] }.tally
  end

  # (TERM takes the same path, exiting 143: each process boots in seconds, so one signal is run here)
  { "INT" => 130 }.each do |signal, code|
    it "stops on SIG#{signal} with the cursor saved and exit #{code}, and a second run finishes the rest" do
      lines, status = rake_backfill(stop_after: 8, signal: signal)
      expect(status.exitstatus).to eq(code)
      expect(lines.first).to eq("Backfill of all Users: 40 to sync, 2 at a time.")
      expect(lines).to include("Cursor: #{cursor}")
      expect(lines.last).to match(/\AInterrupted \(SIG#{signal}\) after \d+ users in this run\./)
      state = JSON.parse(File.read(cursor))["state"]
      expect(state["ok"]).to be_between(8, 39)

      lines, status = rake_backfill
      expect(status.exitstatus).to eq(0)
      expect(lines.first).to start_with("Resuming the backfill of all Users after User id #{state['mark']} " \
                                        "(#{state['ok']} done before, 0 failed): #{40 - state['ok']} left to sync")
      expect(lines.last).to start_with("Backfill done: 40 users synced, 0 failed")
      expect(creates_by_user).to eq(@users.to_h { |u| [u.id.to_s, 1] }) # every user created once, none twice
      expect(File.exist?(cursor)).to be(false)
    end
  end

  it "resumes after a kill -9 from the cursor saved just before, creating no contact twice" do
    _, status = rake_backfill(stop_after: 8, signal: "KILL")
    expect(status.termsig).to eq(9)
    state = JSON.parse(File.read(cursor))["state"] # up to half a second behind the last user done
    emulator_requests_before = emulator.requests.size

    lines, status = rake_backfill
    expect(status.exitstatus).to eq(0)
    expect(lines.first).to start_with("Resuming the backfill of all Users after User id #{state['mark'].inspect}")
    expect(lines.last).to start_with("Backfill done: 40 users synced, 0 failed")
    expect(creates_by_user).to eq(@users.to_h { |u| [u.id.to_s, 1] })
    done = @users.map(&:id).select { |id| state["mark"] && id <= state["mark"] }
    later = emulator.requests.drop(emulator_requests_before).map { |r| "#{r.path} #{r.body}" }
    expect(later.grep(/"external_id":"(#{done.join('|')})"/)).to be_empty
  end
end
