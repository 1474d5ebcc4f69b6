# frozen_string_literal: true

# Threads and fork: many threads syncing different users at once, a client shared by threads
# (refused, never corrupted), and syncs in a forked child.
RSpec.describe "threads and fork", sync: true do
  before { define_user_attributes }

  it "16 threads syncing different users for several rounds: every result is its own user's" do
    users = poro_users(48, "t")
    mismatches = Queue.new
    threads = users.each_slice(3).map do |slice|
      Thread.new do
        4.times do
          slice.each do |user|
            result = SyncWithIntercom.perform(user)
            contact = emulator.contact_by_external_id(user.id)
            mismatches << user.id unless result.contact_id == contact["id"] && user.metadata["intercom_user_id"] == contact["id"] &&
                                         contact["email"] == user.email && contact["name"] == user.name
          end
        end
      end
    end
    threads.each(&:join)
    expect(threads.size).to eq(16)
    expect(mismatches.size).to eq(0)
    expect(emulator.contacts.count { |c| c["role"] == "user" }).to eq(48)
  end

  it "refuses a second thread's request while a client's request is in flight" do
    client = IntercomSync::Client.new(access_token: emulator.token, base_url: emulator.base_url)
    emulator.inject(:latency, seconds: 0.5, path: "/data_attributes")
    slow = Thread.new { client.get("/data_attributes") }
    sleep 0.01 until emulator.connections_opened == 1 || !slow.alive? # the first request is on the wire
    expect { client.get("/contacts?per_page=1") }.to raise_error(IntercomSync::BusyError)
    expect(slow.value.status).to eq(200)
    expect(emulator.requests.map(&:path)).to eq(["/data_attributes"]) # the refused one never went out
    expect(client.get("/contacts?per_page=1").status).to eq(200) # and the client is fine after
  end

  it "never corrupts a client used by several threads at once" do
    client = IntercomSync::Client.new(access_token: emulator.token, base_url: emulator.base_url)
    outcomes = Queue.new
    Array.new(8) do |i|
      Thread.new do
        20.times do |n|
          body = client.post("/data_attributes", { name: "t#{i}_#{n}", model: "contact", data_type: "string" }).body
          outcomes << (body["name"] == "t#{i}_#{n}" ? :ok : :crossed)
        rescue IntercomSync::BusyError
          outcomes << :busy
        end
      end
    end.each(&:join)
    results = Array.new(outcomes.size) { outcomes.pop }
    expect(results).not_to include(:crossed)
    expect(results.count(:ok)).to be > 0
    expect(client.get("/data_attributes").status).to eq(200)
  end

  it "syncs in a forked child on fresh connections, and keeps syncing in the parent" do
    users = poro_users(2, "f")
    SyncWithIntercom.perform(users[0])
    parent_connections = emulator.requests.map(&:connection_id).uniq
    seen = emulator.requests.size
    reader, writer = IO.pipe
    pid = fork do
      reader.close
      result = SyncWithIntercom.perform(users[1])
      writer.write(result.contact_id.to_s)
      writer.close
      exit!(0)
    end
    writer.close
    _, status = Process.wait2(pid)
    expect(status.success?).to be(true)
    child_connections = emulator.requests.drop(seen).map(&:connection_id).uniq
    expect(child_connections).not_to be_empty
    expect(child_connections & parent_connections).to eq([]) # never the parent's socket
    child_contact = reader.read
    expect(child_contact).to eq(emulator.contact_by_external_id(users[1].id)["id"])
    users[0].name = "Changed In Parent"
    SyncWithIntercom.perform(users[0])
    expect(emulator.contact_by_external_id(users[0].id)["name"]).to eq("Changed In Parent")
  end
end
