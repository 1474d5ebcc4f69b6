require "test_helper"

class SyncWithIntercomJobTest < ActiveJob::TestCase
  setup do
    @acme = Team.create!(domain: "acme.test", tier: "gold", monthly_spend: 300)
    @globex = Team.create!(domain: "globex.test", tier: "silver")
  end

  test "syncs a user into a contact with their attributes, attached to their teams" do
    user = create_user(teams: [@acme, @globex])

    perform_enqueued_jobs { SyncWithIntercomJob.perform_later(user) }

    assert_intercom_contact user, attributes: { "email" => "ann@example.com", "plan" => "pro", "seats" => 3 },
                                  companies: [@acme.id, @globex.id]
    assert user.reload.metadata["intercom_user_id"]
  end

  # Defines the same custom attributes afresh: the test mode resets the emulator and the gem's
  # attribute cache between tests, in whichever order they run.
  test "a user who left a team is detached from its company" do
    user = create_user(teams: [@acme, @globex])
    perform_enqueued_jobs { SyncWithIntercomJob.perform_later(user) }

    user.memberships.where(team: @globex).destroy_all
    perform_enqueued_jobs { SyncWithIntercomJob.perform_later(user.reload) }

    assert_intercom_contact user, attributes: { "plan" => "pro" }, companies: [@acme.id]
  end

  test "a user deleted before the job ran costs no request" do
    user = create_user
    SyncWithIntercomJob.perform_later(user)
    user.destroy!

    assert_no_intercom_requests { perform_enqueued_jobs }
  end

  private

  def create_user(**attributes)
    User.create!(email: "ann@example.com", name: "Ann", plan: "pro", seats: 3, created_at: 3.days.ago, **attributes)
  end
end
