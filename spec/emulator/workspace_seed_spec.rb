# frozen_string_literal: true

require "stringio"

# Emulator#load_workspace (intercom-emulator --seed FILE): a workspace loaded straight into the
# store must be the one the API would have built, or a benchmark on it measures something else.
RSpec.describe IntercomSync::Emulator, "#load_workspace" do
  def seed(*records)
    emulator.load_workspace(StringIO.new(records.map { |r| JSON.generate(r) }.join("\n")))
  end

  def without_clock(record)
    record.except("id", "created_at", "updated_at", "url")
  end

  let(:contact_body) do
    { "role" => "user", "external_id" => "42", "email" => "ann@example.com", "name" => "Ann", "signed_up_at" => 1_600_000_000,
      "last_seen_at" => 1_700_000_000, "custom_attributes" => { "plan" => "pro" } }
  end

  it "makes the contacts and companies POST /contacts and POST /companies make, with the companies attached" do
    counts = seed({ "data_attribute" => { "model" => "contact", "name" => "plan", "data_type" => "string" } },
                  { "company" => { "company_id" => "7", "name" => "acme.com" }, "id" => "d00000000000000000000007" },
                  { "contact" => contact_body, "id" => "c00000000000000000000042", "companies" => ["d00000000000000000000007"] })
    expect(counts.to_h).to eq(data_attributes: 1, companies: 1, contacts: 1, attachments: 1)
    expect(emulator.requests).to be_empty # no request, so no rate limit was spent either
    _, seeded, = raw_request(:get, "/contacts/c00000000000000000000042")
    _, seeded_company, = raw_request(:get, "/companies/d00000000000000000000007")

    emulator.reset!
    raw_request(:post, "/data_attributes", body: { model: "contact", name: "plan", data_type: "string" })
    _, company, = raw_request(:post, "/companies", body: { company_id: "7", name: "acme.com" })
    _, created, = raw_request(:post, "/contacts", body: contact_body)
    raw_request(:post, "/contacts/#{created['id']}/companies", body: { id: company["id"] })
    _, created, = raw_request(:get, "/contacts/#{created['id']}")
    _, company, = raw_request(:get, "/companies/#{company['id']}")

    expect(without_clock(seeded).except("companies", "tags", "notes"))
      .to eq(without_clock(created).except("companies", "tags", "notes"))
    expect(seeded["companies"]["data"].map { |c| c["id"] }).to eq(["d00000000000000000000007"])
    expect(seeded["companies"]["total_count"]).to eq(1)
    expect(without_clock(seeded_company)).to eq(without_clock(company))
  end

  it "applies the API's rules, naming the line it refused" do
    expect { seed({ "contact" => contact_body }) } # plan is not defined
      .to raise_error(IntercomSync::Emulator::WorkspaceSeed::Error, /line 1: Custom attribute 'plan' does not exist/)
    expect { seed({ "contact" => { "role" => "user", "external_id" => "1" } }, { "contact" => { "role" => "user", "external_id" => "1" } }) }
      .to raise_error(IntercomSync::Emulator::WorkspaceSeed::Error, /line 2: A contact matching those details already exists/)
    expect { seed({ "contact" => { "role" => "user", "external_id" => "2" }, "companies" => ["d00000000000000000000099"] }) }
      .to raise_error(IntercomSync::Emulator::WorkspaceSeed::Error, /Company Not Found/)
    expect { seed({ "ticket" => {} }) }.to raise_error(IntercomSync::Emulator::WorkspaceSeed::Error, /line 1: a line holds one of/)
    expect { emulator.load_workspace(StringIO.new("{nope")) }.to raise_error(IntercomSync::Emulator::WorkspaceSeed::Error, /line 1: not JSON/)
  end

  it "counts the requests by route in GET /__emulator/stats?routes=1" do
    seed({ "contact" => { "role" => "user", "external_id" => "1" }, "id" => "c00000000000000000000001" })
    raw_request(:get, "/contacts?per_page=150")
    raw_request(:get, "/contacts/c00000000000000000000001")
    raw_request(:put, "/contacts/c00000000000000000000001", body: { name: "Ann" })
    raw_request(:get, "/contacts/find_by_external_id/1")
    raw_request(:post, "/contacts/search", body: { query: { field: "email", operator: "=", value: "x@example.com" } })
    _, body, = raw_request(:get, "/__emulator/stats?routes=1")
    expect(body["routes"]).to eq("GET /contacts" => 1, "GET /contacts/{id}" => 1, "PUT /contacts/{id}" => 1,
                                 "GET /contacts/find_by_external_id/{external_id}" => 1, "POST /contacts/search" => 1)
    expect(raw_request(:get, "/__emulator/stats")[1]).not_to have_key("routes")
  end
end
