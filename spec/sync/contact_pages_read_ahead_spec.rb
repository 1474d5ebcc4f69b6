# frozen_string_literal: true

# perform_all reads the contact pages one after another (each needs the cursor of the one
# before): the next page is read while the users of this one are handed out, so a page costs
# its round trip, not its round trip plus the hand-out.
RSpec.describe IntercomSync::ContactPages, sync: true do
  before do
    define_user_attributes
    7.times { |i| emulator.seed_contact(role: "user", external_id: "u#{i}", email: "u#{i}@example.com") }
  end

  let(:client) { IntercomSync::Client.new(access_token: emulator.token, base_url: emulator.base_url) }
  let(:pages) { described_class.new(client, for_users: 100) }

  after { client.close }

  before { stub_const("IntercomSync::ContactPages::PER_PAGE", 3) }

  def page_requests
    emulator.requests.count { |r| r.method == "GET" && r.path == "/contacts" }
  end

  # Waits (bounded) for the emulator to have seen n page requests.
  def seen_pages?(n, within: 5)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + within
    sleep 0.01 until page_requests >= n || Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
    page_requests >= n
  end

  it "reads the next page while the block still holds this one, one page ahead at most" do
    read_while_held = []
    pages.each_page do |_contacts|
      held = page_requests
      read_while_held << seen_pages?(held + 1, within: 2)
      sleep 0.2
      expect(page_requests).to be <= held + 1 # one ahead, never more
    end
    expect(read_while_held).to eq([true, true, false]) # 7 contacts, 3 a page: the last has no next
    expect(pages.requests).to eq(3)
  end

  it "yields the pages in order, each user once" do
    seen = pages.each_page.flat_map(&:keys)
    expect(seen).to eq((0..6).map { |i| "u#{i}" })
  end

  it "raises an error reading a later page after the pages before it were handed out" do
    emulator.inject(:status, status: 403, code: "forbidden", method: :get, path: "/contacts", query: /starting_after/)
    handed = []
    expect { pages.each_page { |contacts| handed << contacts.keys } }.to raise_error(IntercomSync::ForbiddenError)
    expect(handed).to eq([%w[u0 u1 u2]])
  end

  it "stops reading when the block raises, and the client is free again" do
    expect { pages.each_page { |_| raise ArgumentError, "the app's block failed" } }.to raise_error(ArgumentError)
    expect(Thread.list.map(&:name)).not_to include("intercom_sync contact pages")
    expect(page_requests).to be <= 2
    expect(client.get("/data_attributes?model=contact").status).to eq(200)
  end
end
