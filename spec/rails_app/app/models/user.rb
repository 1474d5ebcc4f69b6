# A user as the seed app has them: a member of teams, owner of some. SyncWithIntercomJob keeps
# each one in step with an Intercom contact.
class User < ApplicationRecord
  has_many :memberships, dependent: :destroy
  has_many :teams, through: :memberships
  has_many :owned_teams, class_name: "Team", foreign_key: :owner_id, inverse_of: :owner, dependent: :nullify

  validates :email, presence: true

  scope :paying, -> { where.not(plan: "free") }

  def from_oauth?
    oauth_provider.present?
  end
end
