# A team: an Intercom company for each of its members, written by its owner's sync.
class Team < ApplicationRecord
  belongs_to :owner, class_name: "User", optional: true
  has_many :memberships, dependent: :destroy
  has_many :members, through: :memberships, source: :user
end
