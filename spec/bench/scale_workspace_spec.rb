# frozen_string_literal: true

require "stringio"
require_relative "../../bench/scale_workspace"

# bench/scale.rb, in small: a workspace seeded straight into the emulator, as the first full
# sync would have left it, then the nightly sync with 1% of the users changed. If the seed
# were not what the sync would have written (a field, an id, a company digest), the unchanged
# users would cost writes (or creates) here.
RSpec.describe "The scale benchmark's seeded workspace", sync: true do
  let(:users) { ScaleWorkspace.users(2_000, 1) }

  before do
    seed = StringIO.new
    ScaleWorkspace.write_seed(seed, users)
    seed.rewind
    emulator.load_workspace(seed)
    users.each { |user| ScaleWorkspace.remember_sync!(user) }
  end

  it "is synced nightly with the contact pages and the changed users' writes, nothing else" do
    changed = ScaleWorkspace.change_some!(users, 0.01, 1)
    expect(changed.size).to eq(20)
    report = SyncWithIntercom.perform_all(users, concurrency: 4)
    expect(report.errors.map(&:reason)).to eq([])
    routes = emulator.stats(routes: true)["routes"]
    # one name, seat count and team move each: PUT the contact, attach the new team's company,
    # detach the old one; the 10 teams moved to are upserted once each (twice when two of their
    # users' syncs run at the same moment, before either stored the company id)
    expect(routes.except("GET /data_attributes", "POST /companies"))
      .to eq("GET /contacts" => (2_000 / 150.0).ceil, "PUT /contacts/{id}" => 20, "POST /contacts/{id}/companies" => 20,
             "DELETE /contacts/{id}/companies/{id}" => 20)
    expect(routes["POST /companies"]).to be_between(10, 20)
    expect(report.requests).to eq(routes.values.sum) # and the attribute definitions, read once per worker at most
    expect(routes["GET /data_attributes"]).to be <= 2 * 4
    expect(emulator.contacts.size).to eq(2_000)
    renamed = emulator.contact_by_external_id(changed.last.id)
    expect(renamed["name"]).to eq(changed.last.name)
    expect(emulator.company_ids_of(renamed["id"]).size).to eq(2)
  end

  it "costs only the pages when nothing changed" do
    report = SyncWithIntercom.perform_all(users, concurrency: 4)
    expect(report.failed).to eq(0)
    expect(emulator.stats(routes: true)["routes"].except("GET /data_attributes")).to eq("GET /contacts" => 14)
  end
end
