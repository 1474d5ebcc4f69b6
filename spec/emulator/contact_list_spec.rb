# frozen_string_literal: true

# GET /contacts pages the whole workspace for perform_all's prefetch. A benchmark seeds 100,000
# contacts (bench/scale.rb), so a page must cost the contacts it holds, not a pass over the
# workspace (which would make reading all pages quadratic).
RSpec.describe IntercomSync::Emulator, "GET /contacts" do
  def page(per_page, cursor = nil)
    path = +"/contacts?per_page=#{per_page}"
    path << "&starting_after=#{cursor}" if cursor
    status, body, = raw_request(:get, path)
    expect(status).to eq(200)
    body
  end

  def read_all(per_page)
    pages = [page(per_page)]
    while (cursor = pages.last.dig("pages", "next", "starting_after"))
      pages << page(per_page, cursor)
    end
    pages
  end

  it "lists every listed contact once, in creation order, leaving out archived and merged ones" do
    ids = Array.new(40) { |i| emulator.seed_contact(role: "user", external_id: "u#{i}")["id"] }
    archived = emulator.seed_contact(role: "user", external_id: "gone", archived: true)
    lead = emulator.seed_contact(role: "lead", email: "u3@example.com")
    emulator.merge(lead["id"], ids[3])
    pages = read_all(7)
    expect(pages.flat_map { |p| p["data"].map { |c| c["id"] } }).to eq(ids)
    expect(pages.map { |p| p["total_count"] }.uniq).to eq([40])
    expect(pages.map { |p| p.dig("pages", "page") }).to eq((1..6).to_a)
    expect(pages.first.dig("pages", "total_pages")).to eq(6)
    expect(pages.last.dig("pages", "next")).to be_nil
    expect(archived["archived"]).to be(true)
  end

  it "has no next page after a last page that ends the list, even when archived contacts follow it" do
    3.times { |i| emulator.seed_contact(role: "user", external_id: "u#{i}") }
    2.times { |i| emulator.seed_contact(role: "user", external_id: "a#{i}", archived: true) }
    first = page(3)
    expect(first["data"].size).to eq(3)
    expect(first.dig("pages", "next")).to be_nil
  end

  it "keeps its place while the workspace changes: new contacts come last, an archive shifts nothing" do
    ids = Array.new(6) { |i| emulator.seed_contact(role: "user", external_id: "u#{i}")["id"] }
    first = page(3)
    emulator.synchronize { emulator.store.archive(ids[1]) } # on the page already read
    added = emulator.seed_contact(role: "user", external_id: "late")["id"]
    second = page(3, first.dig("pages", "next", "starting_after"))
    expect(second["data"].map { |c| c["id"] }).to eq(ids[3, 3])
    third = page(3, second.dig("pages", "next", "starting_after"))
    expect(third["data"].map { |c| c["id"] }).to eq([added])
  end

  it "refuses a cursor it did not make" do
    status, body, = raw_request(:get, "/contacts?per_page=3&starting_after=garbage!")
    expect([status, body["errors"].first["code"]]).to eq([400, "parameter_invalid"])
  end

  it "looks at the contacts a page holds, not the whole workspace, for each page" do
    500.times { |i| emulator.seed_contact(role: "user", external_id: "u#{i}") }
    examined = 0
    store = emulator.store
    allow(store).to receive(:listable?).and_wrap_original do |original, *args, **kwargs|
      examined += 1
      original.call(*args, **kwargs)
    end
    pages = read_all(50)
    expect(pages.sum { |p| p["data"].size }).to eq(500)
    # each contact is looked at by its page, and at most once more to tell whether a next
    # page exists; a pass over the workspace per page would be 10 x 500
    expect(examined).to be <= 2 * 500
  end
end

# The Store's lookups by external_id, email and company_id are indexes kept by its own writes;
# these follow a record through the writes that change what it is found by.
RSpec.describe IntercomSync::Emulator::Store, "indexes" do
  subject(:store) { described_class.new }

  it "finds a user by the external_id and email an update gave it, and no longer by the old ones" do
    a = store.create_contact({ "role" => "user", "external_id" => "1", "email" => "a@example.com" })
    store.update_contact(a["id"], { "external_id" => "2", "email" => "b@example.com" })
    expect(store.find_by_external_id("2")["id"]).to eq(a["id"])
    expect { store.find_by_external_id("1") }.to raise_error(IntercomSync::Emulator::ApiError)
    expect { store.create_contact({ "role" => "user", "external_id" => "1", "email" => "a@example.com" }) }.not_to raise_error
    expect { store.create_contact({ "role" => "user", "external_id" => "3", "email" => "B@example.com" }) }
      .to raise_error(IntercomSync::Emulator::ApiError, /already exists with id=#{a['id']}/)
  end

  it "conflicts with a lead turned user, and with the email a user took from a merged lead" do
    lead = store.create_contact({ "role" => "lead", "email" => "l@example.com" })
    expect { store.create_contact({ "role" => "user", "external_id" => "9", "email" => "l@example.com" }) }.not_to raise_error
    user = store.create_contact({ "role" => "user", "external_id" => "10" })
    other = store.create_contact({ "role" => "lead", "email" => "m@example.com" })
    store.merge({ "from" => other["id"], "into" => user["id"] })
    expect { store.create_contact({ "role" => "user", "external_id" => "11", "email" => "m@example.com" }) }
      .to raise_error(IntercomSync::Emulator::ApiError, /id=#{user['id']}/)
    store.update_contact(lead["id"], { "role" => "user", "external_id" => "12", "email" => "n@example.com" })
    expect(store.find_by_external_id("12")["id"]).to eq(lead["id"])
  end

  it "counts a company's contacts through attach, detach and merge" do
    company = store.upsert_company({ "company_id" => "7", "name" => "acme" })
    user = store.create_contact({ "role" => "user", "external_id" => "1" })
    lead = store.create_contact({ "role" => "lead", "email" => "l@example.com" })
    store.attach(lead["id"], { "id" => company["id"] })
    expect(store.user_count(company["id"])).to eq(1)
    store.merge({ "from" => lead["id"], "into" => user["id"] })
    expect(store.user_count(company["id"])).to eq(1)
    store.attach(user["id"], { "id" => company["id"] })
    expect(store.user_count(company["id"])).to eq(1)
    store.detach(user["id"], company["id"])
    expect(store.user_count(company["id"])).to eq(0)
    expect(store.upsert_company({ "company_id" => 7, "plan" => "pro" })["id"]).to eq(company["id"])
    expect(store.company_by("company_id", 7)["id"]).to eq(company["id"])
  end

  it "takes the ids a seeded workspace gives, once each" do
    id = "0123456789abcdef01234567"
    expect(store.create_contact({ "role" => "user", "external_id" => "1" }, id: id)["id"]).to eq(id)
    expect { store.create_contact({ "role" => "user", "external_id" => "2" }, id: id) }.to raise_error(ArgumentError, /taken/)
    expect { store.upsert_company({ "company_id" => "1" }, id: "nope") }.to raise_error(ArgumentError, /hex/)
  end
end
