# frozen_string_literal: true

# Whose a prefetched contact is: the bulk feeder asks the engine's own check (isync_contact_owner.c),
# so it never hands over a contact the engine would refuse.
RSpec.describe "IntercomSync::Native.users_contact?" do
  def owner?(contact, external_id = "u1")
    IntercomSync::Native.users_contact?(contact, external_id)
  end

  let(:contact) { { "external_id" => "u1", "role" => "user", "id" => "c1", "email" => "u1@example.com" } }

  it "accepts the user's contact: the same external_id, role user, an id" do
    expect(owner?(contact)).to be(true)
  end

  it "refuses leads, id-less contacts, other users' and anything that is not a contact" do
    expect(owner?(contact.merge("role" => "lead"))).to be(false)
    expect(owner?(contact.merge("id" => ""))).to be(false)
    expect(owner?(contact.merge("id" => 7))).to be(false)
    expect(owner?(contact.except("id"))).to be(false)
    expect(owner?(contact, "u2")).to be(false)
    expect(owner?(contact, "")).to be(false)
    expect(owner?(contact, nil)).to be(false)
    expect(owner?(contact.merge("external_id" => "u1\0x"), "u1\0x")).to be(false)
    expect(owner?(contact.merge("role" => "user\xFF".b))).to be(false)
    expect(owner?([contact])).to be(false)
  end

  it "keeps only the user's contacts of a page, by external_id" do
    page = { "data" => [contact, contact.merge("role" => "lead", "id" => "c2", "external_id" => "u2"), "junk"] }
    expect(IntercomSync::ContactPages.new(nil).send(:users_of, page)).to eq("u1" => contact)
  end
end
