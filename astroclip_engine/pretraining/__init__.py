"""Self-supervised pretraining of the encoders before the contrastive alignment (`astroclip
pretrain`): masked spectrum modelling (SpecFormer)."""
