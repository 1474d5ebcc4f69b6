# What `bin/rails g intercom_sync:install` adds when the tables lack it: the Intercom ids the sync
# learns (user.metadata["intercom_user_id"], team.metadata["intercom_company_id"]) live here.
# spec/rails_app_spec.rb removes this file in a copy of the app and runs the generator instead.
class AddIntercomMetadataToUsersAndTeams < ActiveRecord::Migration[7.2]
  def change
    add_column :users, :metadata, :json, null: false, default: {}
    add_column :teams, :metadata, :json, null: false, default: {}
  end
end
