class CreateUsers < ActiveRecord::Migration[7.2]
  def change
    create_table :users do |t|
      t.string :email, null: false
      t.string :name
      t.string :phone_number
      t.string :timezone
      t.string :oauth_provider
      t.string :plan
      t.integer :seats
      t.string :api_token
      t.datetime :last_request_at
      t.timestamps
    end
  end
end
