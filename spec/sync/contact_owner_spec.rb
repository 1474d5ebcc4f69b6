# frozen_string_literal: true

require "json"

# A page of GET /contacts as the core reads it for a bulk sync (isync_contact_page.c): only the
# users' contacts, by the engine's own check (isync_contact_owner.c), each as the JSON text the
# engine takes back in a snapshot, so the feeder never hands over a contact the engine would refuse.
RSpec.describe "IntercomSync::Native.contact_page" do
  let(:contact) { { "type" => "contact", "external_id" => "u1", "role" => "user", "id" => "c1", "email" => "u1@example.com" } }

  def read(page)
    total_count, next_cursor, listed, contacts = IntercomSync::Native.contact_page(JSON.generate(page))
    { total_count: total_count, next_cursor: next_cursor, listed: listed, contacts: contacts }
  end

  def contacts_of(*entries)
    read("type" => "list", "data" => entries)[:contacts]
  end

  it "hands over the user's contact as its JSON text, keyed by its external_id" do
    contacts = contacts_of(contact)
    expect(contacts.keys).to eq(["u1"])
    expect(JSON.parse(contacts["u1"])).to eq(contact)
    expect(contacts["u1"]).not_to be_frozen # (the worker that syncs the user clears it: Bulk#sync_one)
  end

  it "leaves out leads, id-less contacts, contacts with no external_id and anything that is not a contact" do
    expect(contacts_of(contact.merge("role" => "lead"))).to eq({})
    expect(contacts_of(contact.merge("id" => ""))).to eq({})
    expect(contacts_of(contact.merge("id" => 7))).to eq({})
    expect(contacts_of(contact.except("id"))).to eq({})
    expect(contacts_of(contact.merge("external_id" => ""))).to eq({})
    expect(contacts_of(contact.merge("external_id" => nil))).to eq({})
    expect(contacts_of(contact.merge("external_id" => 1))).to eq({})
    # an app id with a NUL never reaches a path (InvalidInputError), so no contact is its
    expect(contacts_of(contact.merge("external_id" => "u1\u0000x"))).to eq({})
    expect(contacts_of("junk", [contact], nil)).to eq({})
  end

  it "keeps only the users' contacts of a page, and counts every entry it listed" do
    page = read("type" => "list", "total_count" => 3, "pages" => { "next" => { "starting_after" => "abc==" } },
                "data" => [contact, contact.merge("role" => "lead", "id" => "c2", "external_id" => "u2"), "junk"])
    expect(page[:contacts].keys).to eq(["u1"])
    expect(page).to include(total_count: 3, next_cursor: "abc==", listed: 3)
  end

  it "reads no count or cursor from what is none" do
    [nil, -1, "3", 2.5].each do |count|
      expect(read("data" => [], "total_count" => count)[:total_count]).to be_nil
    end
    [{ "next" => nil }, { "next" => { "starting_after" => "" } }, { "next" => { "starting_after" => 7 } }, "next", nil].each do |pages|
      expect(read("data" => [], "pages" => pages)[:next_cursor]).to be_nil
    end
  end

  it "a page listing a user twice: the later entry wins" do
    expect(JSON.parse(contacts_of(contact, contact.merge("id" => "c9"))["u1"])["id"]).to eq("c9")
  end

  it "raises ParseError for an answer that is no contact list" do
    [{ "data" => {} }, { "type" => "list" }, [contact], "list"].each do |answer|
      expect { read(answer) }.to raise_error(IntercomSync::ParseError, /other than a contact list/)
    end
    expect { IntercomSync::Native.contact_page("{") }.to raise_error(IntercomSync::ParseError)
  end
end
