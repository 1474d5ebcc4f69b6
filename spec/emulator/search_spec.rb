# frozen_string_literal: true

RSpec.describe IntercomSync::Emulator, "POST /contacts/search" do
  def search(body)
    raw_request(:post, "/contacts/search", body: body)
  end

  def ids(body)
    body["data"].map { |c| c["external_id"] || c["email"] }
  end

  before do
    emulator.seed_contact(role: "user", external_id: "u1", email: "ann@example.com", name: "Ann")
    emulator.seed_contact(role: "lead", email: "ann@example.com")
    emulator.seed_contact(role: "lead", email: "bob@example.org")
    emulator.seed_contact(role: "user", external_id: "u2", email: "cat@example.org", last_seen_at: 200)
  end

  it "filters with one condition" do
    _, body, = search(query: { field: "role", operator: "=", value: "lead" })
    expect(ids(body)).to eq(%w[ann@example.com bob@example.org])
    expect(body).to include("type" => "list", "total_count" => 2)
  end

  it "combines filters with AND and OR, two levels deep" do
    _, body, = search(query: { operator: "AND", value: [{ field: "email", operator: "=", value: "ANN@example.com" },
                                                       { field: "role", operator: "=", value: "lead" }] })
    expect(body["total_count"]).to eq(1)
    _, body, = search(query: { operator: "OR", value: [
      { field: "external_id", operator: "=", value: "u2" },
      { operator: "AND", value: [{ field: "role", operator: "=", value: "lead" }, { field: "email", operator: "$", value: ".org" }] }
    ] })
    expect(ids(body)).to eq(%w[bob@example.org u2])
  end

  it "supports the comparison operators" do
    expect(search(query: { field: "email", operator: "~", value: "example" })[1]["total_count"]).to eq(4)
    expect(search(query: { field: "email", operator: "^", value: "bo" })[1]["total_count"]).to eq(1)
    expect(search(query: { field: "external_id", operator: "IN", value: %w[u1 u2] })[1]["total_count"]).to eq(2)
    expect(search(query: { field: "external_id", operator: "NIN", value: %w[u1] })[1]["total_count"]).to eq(3)
    expect(search(query: { field: "last_seen_at", operator: ">", value: 100 })[1]["total_count"]).to eq(1)
    expect(search(query: { field: "name", operator: "!=", value: "Ann" })[1]["total_count"]).to eq(3)
  end

  it "pages through the body's pagination, not the query string" do
    _, page1, = search(query: { field: "email", operator: "~", value: "example" }, pagination: { per_page: 3 })
    expect(page1["data"].size).to eq(3)
    cursor = page1["pages"]["next"]["starting_after"]
    _, page2, = search(query: { field: "email", operator: "~", value: "example" }, pagination: { per_page: 3, starting_after: cursor })
    expect(page2["data"].size).to eq(1)
    expect(page2["pages"]).not_to have_key("next")
    expect((page1["data"] + page2["data"]).map { |c| c["id"] }.uniq.size).to eq(4)
  end

  it "rejects three levels of nesting, more than 15 filters, unknown fields and bad sort orders" do
    leaf = { field: "role", operator: "=", value: "lead" }
    three = { operator: "AND", value: [{ operator: "OR", value: [{ operator: "AND", value: [leaf] }] }] }
    expect(search(query: three).first).to eq(400)
    expect(search(query: { operator: "AND", value: [leaf] * 16 }).first).to eq(400)
    expect(search(query: { field: "password", operator: "=", value: "x" }).first).to eq(400)
    expect(search(query: leaf, pagination: { per_page: 151 }).first).to eq(400)
    status, body, = search(query: leaf, sort: { field: "name", order: "up" })
    expect([status, body["errors"].first["code"]]).to eq([400, "invalid_sort_order"])
    expect(search(query: leaf, pagination: { starting_after: "garbage!" }).first).to eq(400)
  end

  it "leaves out merged and archived contacts, and lags new ones when search_lag is set" do
    archived = emulator.seed_contact(role: "user", external_id: "u3", email: "arch@example.com", archived: true)
    expect(search(query: { field: "external_id", operator: "=", value: "u3" })[1]["total_count"]).to eq(0)
    expect(archived["id"]).to be_a(String)
    emulator.search_lag = 60
    emulator.seed_contact(role: "user", external_id: "u4")
    expect(search(query: { field: "external_id", operator: "=", value: "u4" })[1]["total_count"]).to eq(0)
    expect(raw_request(:get, "/contacts/find_by_external_id/u4").first).to eq(200)
  end

  it "lists contacts with cursor pagination on GET /contacts" do
    _, page1, = raw_request(:get, "/contacts?per_page=3")
    expect(page1["data"].size).to eq(3)
    _, page2, = raw_request(:get, "/contacts?per_page=3&starting_after=#{page1['pages']['next']['starting_after']}")
    expect(page2["data"].size).to eq(1)
  end
end
