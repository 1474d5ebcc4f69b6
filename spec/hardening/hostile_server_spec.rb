# frozen_string_literal: true

# A server that answers with huge lists, hostile ids and long multibyte messages (issue 9): the
# sync ends quickly with a result or a typed error, and never sends a request it should not.
RSpec.describe "a hostile server", sync: true do
  before do
    define_user_attributes
    define_company_attributes
    IntercomSync.configuration.sync_deadline = 5
  end

  let(:user) { create_user(created_at: Time.now - (3 * 86_400)) }

  def contact_with_companies(count)
    { "type" => "contact", "id" => "5f00000000000000000000aa", "external_id" => user.id.to_s, "role" => "user",
      "email" => user.email, "name" => user.name,
      "companies" => { "type" => "list", "data" => Array.new(count) { |i| { "type" => "company", "id" => "c#{i}" } },
                       "has_more" => false } }
  end

  # Runs the sync; returns [seconds, the exception or nil].
  def timed_sync
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    error = begin
      SyncWithIntercom.perform(user)
      nil
    rescue IntercomSync::Error => e
      e
    end
    [Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, error]
  end

  describe "huge lists (bounded, O(1) lookups)" do
    [80_000, 200_000].each do |count|
      it "refuses a contact with #{count} embedded companies well under a second, sending nothing else" do
        emulator.inject(:body, method: "GET", path: %r{\A/contacts/find_by_external_id/}, body: contact_with_companies(count))
        seconds, error = timed_sync
        warn format("[figures] %d embedded companies: %.3f s", count, seconds) if ENV["ISYNC_FIGURES"]
        expect(error).to be_a(IntercomSync::ResponseTooLargeError)
        expect(error.message).to include("more than 2000 companies")
        expect(seconds).to be < 1.0
        expect(contact_calls).to eq(["GET /contacts/find_by_external_id/#{user.id}"])
      end
    end

    it "keeps at most 2000 definitions of an 80,000-entry attribute list, well under a second" do
      defs = Array.new(80_000) { |i| { "type" => "data_attribute", "name" => "attr_#{i}", "data_type" => "string", "custom" => true } }
      emulator.inject(:body, method: "GET", path: "/data_attributes", query: "model=contact", body: { "type" => "list", "data" => defs })
      user.update!(metadata: nil)
      seconds, error = timed_sync
      warn format("[figures] 80,000 data attributes: %.3f s", seconds) if ENV["ISYNC_FIGURES"]
      expect(error).to be_nil
      expect(seconds).to be < 1.0
      workspace = "#{emulator.base_url}|#{Digest::SHA256.hexdigest(emulator.token)[0, 16]}"
      cached = IntercomSync.attribute_cache.fetch(workspace)
      expect(cached["contact"].size).to eq(2000)
      expect(user.reload.metadata["intercom_user_id"]).not_to be_nil
    end
  end
end
