# frozen_string_literal: true

# A server that never ends its contact list (or claims 10^12 contacts) must not keep a bulk sync
# reading pages: the bound comes from the users being synced, never from the server's total_count.
RSpec.describe "contact pages bound", sync: true do
  before { define_user_attributes }

  def list_pages
    calls.count { |c| c == "GET /contacts" }
  end

  def endless_page(total_count)
    stranger = { "type" => "contact", "id" => "c-stranger", "role" => "user", "external_id" => "stranger",
                 "email" => "stranger@example.com" }
    { "type" => "list", "data" => [stranger], "total_count" => total_count,
      "pages" => { "type" => "pages", "next" => { "starting_after" => "again" } } }
  end

  [10**12, nil].each do |total_count|
    it "stops an endless list (total_count #{total_count.inspect}) after as many pages as users plus the slack" do
      users = poro_users(2, "b")
      # 500 endless pages, then the real (short) list: reading them all would be 500+ requests
      emulator.inject(:body, method: :get, path: "/contacts", times: 500, body: endless_page(total_count))
      report = SyncWithIntercom.perform_all(users, concurrency: 2, prefetch: true)
      expect(report.succeeded).to eq(2)
      expect(list_pages).to eq(2 + IntercomSync::ContactPages::SLACK_PAGES)
      expect(log.string).to include("did not end after 22 pages")
    end
  end

  it "caps the bound however many users are synced" do
    pages = IntercomSync::ContactPages.new(nil, for_users: 10**9)
    expect(pages.max_pages).to eq(IntercomSync::ContactPages::MAX_PAGES)
    expect(IntercomSync::ContactPages.new(nil, for_users: 3).max_pages).to eq(3 + IntercomSync::ContactPages::SLACK_PAGES)
  end
end
