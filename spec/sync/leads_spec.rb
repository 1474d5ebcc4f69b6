# frozen_string_literal: true

RSpec.describe "SyncWithIntercom.perform: leads (step 7)", sync: true do
  before { define_user_attributes }

  it "merges every lead with the user's email into a user created in the last 24 hours" do
    leads = Array.new(2) { emulator.seed_contact(role: "lead", email: "ann@example.com") }
    emulator.seed_contact(role: "lead", email: "other@example.com")
    user = create_user(created_at: Time.now - 3600)
    result = SyncWithIntercom.perform(user)
    search = emulator.requests.find { |r| r.path == "/contacts/search" }.json
    expect(search).to eq("query" => { "operator" => "AND", "value" => [
                           { "field" => "email", "operator" => "=", "value" => "ann@example.com" },
                           { "field" => "role", "operator" => "=", "value" => "lead" }
                         ] }, "pagination" => { "per_page" => 150 })
    expect(result.leads_merged).to match_array(leads.map { |l| l["id"] })
    expect(emulator.contacts.map { |c| c["role"] }).to contain_exactly("user", "lead")
  end

  it "pulls what a merged lead knew (its phone) in the same run, so the next run has nothing to do" do
    emulator.seed_contact(role: "lead", email: "ann@example.com", phone: "+33 1 23")
    user = create_user(created_at: Time.now - 3600, phone_number: nil)
    expect(SyncWithIntercom.perform(user).fields_pulled).to include("phone")
    expect(user.reload.phone_number).to eq("+33 1 23")
    emulator.clear_requests!
    expect(SyncWithIntercom.perform(user)).not_to be_changed
    expect(contact_calls).to eq(["GET /contacts/#{user.metadata['intercom_user_id']}", "POST /contacts/search"])
  end

  it "leaves leads alone once the user is older than 24 hours, without even searching" do
    emulator.seed_contact(role: "lead", email: "ann@example.com")
    user = create_user(created_at: Time.now - 86_401)
    SyncWithIntercom.perform(user)
    expect(calls.grep(/search|merge/)).to be_empty
    expect(emulator.contacts.count { |c| c["role"] == "lead" }).to eq(1)
  end

  it "honours a configured window" do
    IntercomSync.configuration.lead_window = 7 * 86_400
    emulator.seed_contact(role: "lead", email: "ann@example.com")
    result = SyncWithIntercom.perform(create_user(created_at: Time.now - (2 * 86_400)))
    expect(result.leads_merged.size).to eq(1)
  end

  it "pages through many leads before merging" do
    160.times { emulator.seed_contact(role: "lead", email: "ann@example.com") }
    result = SyncWithIntercom.perform(create_user(created_at: Time.now))
    expect(result.leads_merged.size).to eq(160)
    expect(calls.count("POST /contacts/search")).to eq(2)
  end
end
