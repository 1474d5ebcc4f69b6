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

  describe IntercomSync::AttributeCache do
    subject(:cache) { described_class.new }

    # Another thread becomes the reader (fetch_or_wait answered nil) and is still at it.
    def reader_thread(cache)
      ready = Queue.new
      finish = Queue.new
      thread = Thread.new do
        ready << cache.fetch_or_wait("ws", wait: 10)
        finish.pop
        yield
      end
      expect(ready.pop).to be_nil
      [thread, finish]
    end

    it "makes the others wait for the reader, then hands them what it learned" do
      thread, finish = reader_thread(cache) do
        cache.learn("ws", "contact" => { "plan" => "string" }, "company" => {})
        cache.done_reading("ws", synced: true)
      end
      waiter = Thread.new { cache.fetch_or_wait("ws", wait: 10) }
      sleep 0.05 until waiter.status == "sleep"
      finish << :go
      expect(waiter.value).to eq("contact" => { "plan" => "string" }, "company" => {})
      thread.join
    end

    it "lets a waiter read them itself when the reader's sync failed" do
      thread, finish = reader_thread(cache) { cache.done_reading("ws", synced: false) }
      waiter = Thread.new { cache.fetch_or_wait("ws", wait: 10) }
      sleep 0.05 until waiter.status == "sleep"
      finish << :go
      expect(waiter.value).to be_nil # its turn to read
      thread.join
    end

    # A workspace whose syncs need no definitions (no custom attribute unknown to them): were the
    # syncs to wait for a reader, each would wait for the one before it, for good.
    it "stops making anyone wait once a sync went well without needing the definitions" do
      thread, finish = reader_thread(cache) { cache.done_reading("ws", synced: true) }
      finish << :go
      thread.join
      expect(cache.fetch_or_wait("ws", wait: 10)).to be_nil
      other = Thread.new { cache.fetch_or_wait("ws", wait: 10) }
      expect(other.join(5)).to eq(other) # it did not wait for this thread's sync (nil: it waited)
      expect(other.value).to be_nil
      cache.learn("ws", "contact" => { "plan" => "string" }, "company" => {})
      expect(cache.fetch_or_wait("ws", wait: 10)).to eq("contact" => { "plan" => "string" }, "company" => {})
    end
  end
end
