require "rails_helper"

RSpec.describe SyncWithIntercomJob do
  let(:acme) { Team.create!(domain: "acme.test", tier: "gold", monthly_spend: 300) }
  let(:globex) { Team.create!(domain: "globex.test", tier: "silver") }

  def create_user(**attributes)
    User.create!(email: "ann@example.com", name: "Ann", plan: "pro", seats: 3, created_at: 3.days.ago, **attributes)
  end

  it "syncs a user into a contact with their attributes, attached to their teams" do
    user = create_user(teams: [acme, globex])

    perform_enqueued_jobs { described_class.perform_later(user) }

    expect(user).to have_synced_intercom_contact
      .with_attributes("email" => "ann@example.com", "name" => "Ann", "plan" => "pro", "seats" => 3)
      .with_companies([acme.id, globex.id])
    expect(user.reload.metadata).to include("intercom_user_id")
  end

  # The same custom attributes as the example above, defined afresh: the test mode resets the
  # emulator and the gem's attribute cache between examples, in whichever order they run.
  it "does not send the columns the app filters, such as api_token" do
    user = create_user(email: "bob@example.com", plan: "free", api_token: "s3cret", teams: [acme])

    perform_enqueued_jobs { described_class.perform_later(user) }

    # nil: a field the contact does not have
    expect(user).to have_synced_intercom_contact.with_attributes("plan" => "free", "api_token" => nil)
                                                .with_companies([acme.id])
  end

  it "makes no request for a user deleted before the job ran" do
    user = create_user
    described_class.perform_later(user)
    user.destroy!

    expect { perform_enqueued_jobs }.not_to make_intercom_requests
  end
end
