# frozen_string_literal: true

# A sync that is off must say so, once, instead of looking like one that worked.
RSpec.describe "a sync that is off", sync: true do
  def lines_about(text)
    log.string.lines.grep(/intercom_sync.*#{Regexp.escape(text)}/)
  end

  it "says once per process that it is disabled, and how to enable it" do
    IntercomSync.configuration.enabled = false
    user = create_user
    3.times { expect(SyncWithIntercom.perform(user)).to be_nil }
    expect(SyncWithIntercom.plan(user)).to be_nil
    expect(SyncWithIntercom.perform_all([user])).to be_nil
    expect(lines_about("disabled").size).to eq(1)
    expect(lines_about("disabled").first).to include("config.enabled = false", "config.enabled = true")
    expect(emulator.requests).to be_empty
  end

  it "says it once when many threads find it off at the same moment" do
    IntercomSync.configuration.enabled = false
    users = poro_users(16, "d")
    start = Queue.new
    threads = users.map { |u| Thread.new { start.pop; SyncWithIntercom.perform(u) } }
    users.size.times { start << true }
    expect(threads.map(&:value)).to all(be_nil)
    expect(lines_about("disabled").size).to eq(1)
  end

  it "says which: no token is not the same as disabled" do
    IntercomSync.configuration.access_token = ""
    2.times { SyncWithIntercom.perform(create_user(email: "#{rand(1 << 30)}@example.com")) }
    expect(lines_about("no access token").size).to eq(1)
    expect(lines_about("no access token").first).to include("INTERCOM_ACCESS_TOKEN")
    expect(lines_about("disabled")).to be_empty
  end

  it "names what INTERCOM_SYNC_ENABLED holds when it is neither unset nor a yes" do
    expect(IntercomSync::Configuration.new("INTERCOM_SYNC_ENABLED" => "ture", "INTERCOM_ACCESS_TOKEN" => "t").inactive_reason)
      .to include('INTERCOM_SYNC_ENABLED is "ture"', "true, 1, yes")
    expect(IntercomSync::Configuration.new("INTERCOM_ACCESS_TOKEN" => "t").inactive_reason)
      .to include("INTERCOM_SYNC_ENABLED is not set", "INTERCOM_SYNC_ENABLED=true")
    expect(IntercomSync::Configuration.new({}).inactive_reason).to include("INTERCOM_ACCESS_TOKEN is not set either")
    expect(IntercomSync::Configuration.new("INTERCOM_SYNC_ENABLED" => "1", "INTERCOM_ACCESS_TOKEN" => "t").inactive_reason).to be_nil
  end

  # subprocess: valgrind follows the child, whose leak check after exit! blames objects that only
  # the parent's other threads held (their stacks are not in the child)
  it "says it again in a forked child, which is another process", subprocess: true do
    IntercomSync.configuration.enabled = false
    SyncWithIntercom.perform(create_user)
    reader, writer = IO.pipe
    pid = fork do
      reader.close
      IntercomSync.configuration.logger = Logger.new(writer)
      SyncWithIntercom.perform(IntercomSync::Snapshot) # never read: the sync is off
      exit!(0)
    end
    writer.close
    Process.wait(pid)
    expect(reader.read).to include("disabled")
    expect(lines_about("disabled").size).to eq(1)
  end
end
